package io.lazysnap.estargz;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/** A blob held in memory: a layer built on the node (self-tests), or the registry with zero latency (tests, bench). */
public class MemoryBlob implements BlobSource {

    private final byte[] bytes;

    public MemoryBlob(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public byte[] read(long offset, int length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > bytes.length) {
            throw new EOFException("range " + offset + "+" + length + " is outside " + bytes.length + " bytes");
        }
        return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
    }
}
