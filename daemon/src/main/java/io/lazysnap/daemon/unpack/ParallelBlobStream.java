package io.lazysnap.daemon.unpack;

import io.lazysnap.registry.BlobDigest;
import io.lazysnap.registry.BlockInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole blob read front to back while range requests, {@code window} at a time, download it chunk by chunk into
 * a spool file: a reader (an unpack) sees each chunk as soon as it and those before it have arrived, the download
 * is not limited to one connection's throughput, and it never waits for the reader, whose pace is its own. The
 * bytes are checked against the blob's digest at the end. A registry that answers a range request with the whole
 * blob is read as one stream instead, from where the reader is.
 */
public final class ParallelBlobStream extends BlockInputStream {

    /** Where the bytes come from: a blob's ranges, and the blob as one stream. */
    public interface Blob {
        /** Writes exactly {@code length} bytes at {@code offset} into {@code spool}, at the same offset. */
        void range(long offset, int length, FileChannel spool) throws IOException;

        /** True once the registry was seen ignoring a range request. */
        boolean ignoresRanges();

        InputStream stream() throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(ParallelBlobStream.class);

    /** A chunk not requested because the registry ignores ranges: the reader goes on with one stream. */
    private static final class RangesIgnored extends IOException {
        RangesIgnored() {
            super("the registry ignores range requests");
        }
    }

    private final String what;
    private final long size;
    private final BlobDigest digest;
    private final Blob blob;
    private final FetchPool pool;
    private final int chunkSize;
    private final int window;
    private final LongConsumer progress;
    private final FileChannel spool;
    private final List<CompletableFuture<Void>> chunks = new ArrayList<>();
    private int nextToStart;
    private volatile boolean closed;
    private long consumed;
    /** Bytes of the spool known to have arrived, from {@link #consumed} on. */
    private long available;
    private InputStream whole;
    private long waitedNanos;

    /**
     * @param what     names the blob in errors
     * @param digest   the descriptor's {@code sha256:} digest
     * @param spool    a file to create for the chunks; deleted when this is closed
     * @param progress told how many bytes were read
     */
    public ParallelBlobStream(String what, long size, String digest, Blob blob, FetchPool pool, int chunkSize,
                              int window, Path spool, LongConsumer progress) throws IOException {
        this.what = what;
        this.size = size;
        this.digest = new BlobDigest(digest);
        this.blob = blob;
        this.pool = pool;
        this.chunkSize = chunkSize;
        this.window = window;
        this.progress = progress;
        this.spool = FileChannel.open(spool, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        for (long offset = 0; offset < size; offset += chunkSize) {
            chunks.add(new CompletableFuture<>());
        }
        synchronized (chunks) {
            for (int i = 0; i < Math.min(window, chunks.size()); i++) {
                startNext();
            }
        }
    }

    /** Starts the next chunk's request; each one that ends starts another, so {@code window} stay in flight. */
    private void startNext() {
        if (closed || nextToStart == chunks.size()) {
            return;
        }
        int index = nextToStart++;
        long offset = (long) index * chunkSize;
        int length = (int) Math.min(chunkSize, size - offset);
        CompletableFuture<Void> chunk = chunks.get(index);
        if (index > 0 && blob.ignoresRanges()) {
            chunk.completeExceptionally(new RangesIgnored());
            return; // and no further chunk is started
        }
        try {
            pool.requests.execute(() -> {
                try {
                    if (!closed) {
                        blob.range(offset, length, spool);
                    }
                    chunk.complete(null);
                } catch (IOException | RuntimeException e) {
                    chunk.completeExceptionally(e);
                } finally {
                    synchronized (chunks) {
                        startNext();
                    }
                }
            });
        } catch (RuntimeException e) {
            chunk.completeExceptionally(new IOException("cannot download " + what + ": the download pool is closed", e));
        }
    }

    @Override
    protected int readBlock(byte[] dst, int off, int len) throws IOException {
        if (whole != null) {
            return readWhole(dst, off, len);
        }
        if (available == 0 && !awaitNextChunk()) {
            return whole != null ? readWhole(dst, off, len) : -1;
        }
        ByteBuffer into = ByteBuffer.wrap(dst, off, (int) Math.min(len, available));
        int n = spool.read(into, consumed);
        if (n <= 0) {
            throw new IOException(what + ": the spool file ended at " + consumed);
        }
        available -= n;
        return consumed(dst, off, n);
    }

    /**
     * At least 1 until the end: {@link java.util.zip.GZIPInputStream} looks for a further gzip member (eStargz and
     * pigz write many) only when its input says more is available.
     */
    @Override
    public int available() throws IOException {
        if (whole != null) {
            return consumed < size ? Math.max(1, whole.available()) : 0;
        }
        return available > 0 ? (int) Math.min(Integer.MAX_VALUE, available) : consumed < size ? 1 : 0;
    }

    /** Waits for the chunk at {@link #consumed}; false at the end, or when switching to one stream. */
    private boolean awaitNextChunk() throws IOException {
        if (consumed == size) {
            verify();
            return false;
        }
        int index = (int) (consumed / chunkSize);
        long waitStart = System.nanoTime();
        try {
            chunks.get(index).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while downloading " + what);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RangesIgnored) {
                switchToStream();
                return false;
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(what + ": " + e.getCause(), e.getCause());
        }
        waitedNanos += System.nanoTime() - waitStart;
        available = Math.min((long) (index + 1) * chunkSize, size) - consumed;
        return true;
    }

    /** The registry ignores ranges: every request would download the blob up to its end offset. */
    private void switchToStream() throws IOException {
        log.info("{}: the registry ignores range requests, downloading it as one stream", what);
        closed = true; // no more chunks
        whole = blob.stream();
        whole.skipNBytes(consumed);
    }

    private int readWhole(byte[] dst, int off, int len) throws IOException {
        int n = whole.read(dst, off, (int) Math.min(len, Math.max(1, size - consumed)));
        if (n < 0) {
            if (consumed != size) {
                throw new IOException(what + " ended after " + consumed + " of " + size + " bytes");
            }
            verify();
            return -1;
        }
        if (consumed + n > size) {
            throw new IOException(what + " is longer than its " + size + " bytes");
        }
        return consumed(dst, off, n);
    }

    /** Counts, digests and reports {@code n} bytes read into {@code dst}; checks the digest after the last one. */
    private int consumed(byte[] dst, int off, int n) throws IOException {
        consumed += n;
        digest.update(dst, off, n);
        progress.accept(n);
        if (consumed == size) {
            verify();
        }
        return n;
    }

    private void verify() throws IOException {
        digest.verify(what);
    }

    /** How long reads waited for the network, in total: the rest of a read's time is its consumer's. */
    public long waitedMillis() {
        return waitedNanos / 1_000_000;
    }

    /** Stops the download (requests in flight end by themselves) and deletes the spool file. */
    @Override
    public void close() throws IOException {
        closed = true;
        try {
            spool.close();
        } finally {
            if (whole != null) {
                whole.close();
            }
        }
    }
}
