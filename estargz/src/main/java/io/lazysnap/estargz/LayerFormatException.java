package io.lazysnap.estargz;

import java.io.IOException;

/** The blob is not a well-formed seekable layer: bad footer, TOC, offsets, names or compressed data. */
public class LayerFormatException extends IOException {

    public LayerFormatException(String message) {
        super(message);
    }

    public LayerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
