package io.lazysnap.estargz;

import java.io.Closeable;
import java.io.IOException;

/**
 * Random access to the bytes of one compressed layer blob, wherever they live: a local file, an in-memory
 * array, or a registry answering HTTP range requests. Everything that reads a layer goes through this
 * interface, so the format code never knows about the network.
 *
 * <p>Implementations must be safe for concurrent use.
 */
public interface BlobSource extends Closeable {

    /** The blob's total size in bytes. */
    long size() throws IOException;

    /**
     * Reads exactly {@code length} bytes starting at {@code offset}.
     *
     * @throws java.io.EOFException if the range runs past the end of the blob
     * @throws IOException if the bytes cannot be obtained
     */
    byte[] read(long offset, int length) throws IOException;

    @Override
    default void close() throws IOException {
    }

    /** How a decorator reads a range, usually by reading its underlying source. */
    @FunctionalInterface
    interface Reads {
        byte[] read(long offset, int length) throws IOException;
    }

    /** {@code blob} read through {@code reads} (which counts, records or replays); size and close are blob's. */
    static BlobSource decorate(BlobSource blob, Reads reads) {
        return new BlobSource() {
            @Override
            public long size() throws IOException {
                return blob.size();
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                return reads.read(offset, length);
            }

            @Override
            public void close() throws IOException {
                blob.close();
            }
        };
    }
}
