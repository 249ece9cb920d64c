package io.lazysnap.estargz;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

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

    /**
     * Reads exactly {@code length} bytes starting at {@code offset} and hands them to {@code receiver} in order, as
     * they arrive: a reader of a long range can use its first bytes before the last have come, and need not hold the
     * range whole. This default reads the range whole first.
     *
     * @throws java.io.EOFException if the range runs past the end of the blob
     * @throws IOException if the bytes cannot be obtained, or the receiver failed; the receiver may have taken some
     */
    default void read(long offset, int length, Receiver receiver) throws IOException {
        Receiver.handOver(read(offset, length), receiver);
    }

    @Override
    default void close() throws IOException {
    }

    /** Takes the bytes of a range as they arrive, into buffers of its own choosing. */
    interface Receiver {

        /**
         * The buffer the range's next bytes go into, from its {@code done}th byte on: with room, from its position
         * to its limit, for at least one of them and at most {@code rest}.
         */
        ByteBuffer window(int done, int rest);

        /** The range's bytes from its {@code done}th on have just been put into {@code bytes}, position to limit. */
        void received(ByteBuffer bytes, int done) throws IOException;

        /** A receiver that puts the range into {@code bytes}, from its start. */
        static Receiver into(byte[] bytes) {
            return new Receiver() {
                @Override
                public ByteBuffer window(int done, int rest) {
                    return ByteBuffer.wrap(bytes, done, rest);
                }

                @Override
                public void received(ByteBuffer window, int done) {
                    // read in place
                }
            };
        }

        /** Hands {@code range}, a whole range's bytes, to {@code receiver}. */
        static void handOver(byte[] range, Receiver receiver) throws IOException {
            for (int done = 0; done < range.length; ) {
                ByteBuffer window = receiver.window(done, range.length - done);
                int start = window.position();
                int count = Math.min(window.remaining(), range.length - done);
                window.put(range, done, count);
                receiver.received(window.limit(window.position()).position(start), done);
                done += count;
            }
        }
    }

    /** How a decorator reads a range, usually by reading its underlying source. */
    @FunctionalInterface
    interface Reads {
        byte[] read(long offset, int length) throws IOException;
    }

    /** How a decorator reads a range piece by piece, as {@link #read(long, int, Receiver)} does. */
    @FunctionalInterface
    interface Streams {
        void read(long offset, int length, Receiver receiver) throws IOException;
    }

    /**
     * {@code blob} read through {@code reads} (which counts, records or replays); size and close are blob's. Ranges
     * read piece by piece go through {@code reads} too, and arrive whole.
     */
    static BlobSource decorate(BlobSource blob, Reads reads) {
        return decorate(blob, reads, (offset, length, receiver) -> Receiver.handOver(reads.read(offset, length),
                receiver));
    }

    /** {@code blob} read through {@code reads}, and piece by piece through {@code streams}. */
    static BlobSource decorate(BlobSource blob, Reads reads, Streams streams) {
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
            public void read(long offset, int length, Receiver receiver) throws IOException {
                streams.read(offset, length, receiver);
            }

            @Override
            public void close() throws IOException {
                blob.close();
            }
        };
    }
}
