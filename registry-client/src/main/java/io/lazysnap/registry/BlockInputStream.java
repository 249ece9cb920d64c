package io.lazysnap.registry;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** A stream that reads in blocks: a single byte is read as a block of one. */
public abstract class BlockInputStream extends InputStream {

    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public final int read(byte[] dst, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, dst.length);
        return len == 0 ? 0 : readBlock(dst, off, len);
    }

    /** Reads 1 to {@code len} bytes ({@code len} > 0), or returns -1 at the end. */
    protected abstract int readBlock(byte[] dst, int off, int len) throws IOException;
}
