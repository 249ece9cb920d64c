package io.lazysnap.bench;

import io.lazysnap.estargz.BlobSource;
import java.io.EOFException;
import java.util.Arrays;

/** A layer blob held in memory: the registry with zero latency, so micro-benchmarks measure our code alone. */
final class MemoryBlob implements BlobSource {

    private final byte[] bytes;

    MemoryBlob(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public byte[] read(long offset, int length) throws EOFException {
        if (offset < 0 || offset + length > bytes.length) {
            throw new EOFException("range " + offset + "+" + length + " past " + bytes.length);
        }
        return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
    }
}
