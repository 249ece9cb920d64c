package io.lazysnap.registry;

import io.lazysnap.estargz.BlobSource;
import java.io.IOException;
import java.util.function.LongConsumer;

/**
 * A whole blob read front to back through a {@link BlobSource} in large ranges, digest-checked: the registry
 * client holds only small blobs in memory, and layers are streamed. The digest is checked when the last byte is
 * read; {@link #readToEndAndVerify()} checks it when a consumer (a tar reader) stops before the end.
 */
public final class BlobStream extends BlockInputStream {

    private static final int RANGE = 4 << 20;

    private final BlobSource source;
    private final long size;
    private final String digest;
    private final LongConsumer progress;
    private final BlobDigest sha256;
    private byte[] buffer = new byte[0];
    private int position;
    private long offset;

    /**
     * @param size     the descriptor's size
     * @param digest   the descriptor's {@code sha256:} digest
     * @param progress told how many bytes each range added
     */
    public BlobStream(BlobSource source, long size, String digest, LongConsumer progress) {
        this.source = source;
        this.size = size;
        this.digest = digest;
        this.progress = progress;
        this.sha256 = new BlobDigest(digest);
    }

    @Override
    protected int readBlock(byte[] dst, int off, int len) throws IOException {
        if (position == buffer.length && !fill()) {
            return -1;
        }
        int n = Math.min(len, buffer.length - position);
        System.arraycopy(buffer, position, dst, off, n);
        position += n;
        return n;
    }

    /** Reads whatever is left and checks the digest. */
    public void readToEndAndVerify() throws IOException {
        while (fill()) {
            position = buffer.length;
        }
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    private boolean fill() throws IOException {
        if (offset == size) {
            verify();
            return false;
        }
        int length = (int) Math.min(RANGE, size - offset);
        buffer = source.read(offset, length);
        position = 0;
        offset += length;
        sha256.update(buffer, 0, buffer.length);
        progress.accept(length);
        return true;
    }

    private void verify() throws IOException {
        sha256.verify("blob " + digest + " read from the registry");
    }
}
