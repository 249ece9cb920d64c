package io.lazysnap.estargz;

import java.io.IOException;

/**
 * Bytes did not hash to the digest that vouches for them (TOC vs. annotation, chunk vs. {@code chunkDigest}).
 * Kept apart from {@link LayerFormatException} because a caller may retry a fetch that was corrupted in transit.
 */
public class DigestMismatchException extends IOException {

    public DigestMismatchException(String message) {
        super(message);
    }
}
