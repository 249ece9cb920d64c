package io.lazysnap.daemon.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on a thread of its own, a few blocks ahead of its reader. An unpack spends about as long
 * decompressing and hashing a layer as it does in file-system calls; with this the two run on two cores instead
 * of taking turns on one. The source is only ever read by that thread, so it need not be thread-safe; a failure
 * there is thrown to the reader, in order, after the bytes that preceded it.
 */
final class ReadAhead extends InputStream {

    private static final int BLOCK = 256 << 10;
    private static final int BLOCKS = 4;

    /** A block read from the source, or how the source ended: {@code bytes == null} at the end or on failure. */
    private record Filled(byte[] bytes, int length, IOException failure) {
    }

    private static final Filled END = new Filled(null, 0, null);

    private final InputStream source;
    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BLOCKS);
    /** Room for every block and the end: the reading thread never waits to report how the source ended. */
    private final BlockingQueue<Filled> filled = new ArrayBlockingQueue<>(BLOCKS + 1);
    private final Thread reader;
    private volatile boolean closed;
    private Filled current;
    private int position;
    /** How the source ended, once the reader has seen it. */
    private Filled last;

    ReadAhead(InputStream source, String threadName) {
        this.source = source;
        for (int i = 0; i < BLOCKS; i++) {
            free.add(new byte[BLOCK]);
        }
        reader = new Thread(this::fill, threadName);
        reader.setDaemon(true);
        reader.start();
    }

    private void fill() {
        try {
            for (boolean more = true; more && !closed; ) {
                byte[] block = free.take();
                int n = 0;
                IOException failure = null;
                try {
                    for (int r = 0; n < BLOCK && r >= 0; n += Math.max(r, 0)) {
                        r = source.read(block, n, BLOCK - n);
                        more = r >= 0;
                    }
                } catch (IOException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    failure = new IOException("reading ahead failed: " + e, e);
                }
                if (n > 0) {
                    filled.put(new Filled(block, n, null));
                }
                if (failure != null) {
                    filled.put(new Filled(null, 0, failure));
                    return;
                }
            }
            filled.put(END);
        } catch (InterruptedException e) {
            // closed
        } catch (Error e) {
            filled.offer(new Filled(null, 0, new IOException("reading ahead failed: " + e, e)));
            throw e;
        }
    }

    @Override
    public int read() throws IOException {
        if (!nextBlock()) {
            return -1;
        }
        int b = current.bytes()[position++] & 0xff;
        releaseIfDone();
        return b;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!nextBlock()) {
            return -1;
        }
        int n = Math.min(len, current.length() - position);
        System.arraycopy(current.bytes(), position, dst, off, n);
        position += n;
        releaseIfDone();
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && nextBlock()) {
            int step = (int) Math.min(n - skipped, current.length() - position);
            position += step;
            skipped += step;
            releaseIfDone();
        }
        return skipped;
    }

    @Override
    public int available() {
        return current == null ? 0 : current.length() - position;
    }

    /** Makes {@link #current} a block with bytes left; false at the end of the source. */
    private boolean nextBlock() throws IOException {
        if (current != null) {
            return true;
        }
        if (last == null) {
            Filled next;
            try {
                next = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading ahead");
            }
            if (next.bytes() != null) {
                current = next;
                position = 0;
                return true;
            }
            last = next;
        }
        if (last.failure() != null) {
            throw last.failure();
        }
        return false;
    }

    private void releaseIfDone() {
        if (position == current.length()) {
            free.add(current.bytes());
            current = null;
        }
    }

    /** Stops the reading thread and closes the source. */
    @Override
    public void close() throws IOException {
        closed = true;
        reader.interrupt();
        try {
            source.close();
        } finally {
            try {
                reader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
