package io.lazysnap.server.unpack;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole blob read front to back while up to {@code window} range requests fetch the chunks ahead, and checked
 * against its digest at the end: an unpack reading it sees the bytes as soon as they arrive in order, and the
 * download is not limited to one connection's throughput. A registry that answers a range request with the whole
 * blob is read as one stream instead, from where the ranges left off.
 */
public final class ParallelBlobStream extends InputStream {

    /** Where the bytes come from: a blob's ranges, and the blob as one stream. */
    public interface Blob {
        byte[] range(long offset, int length) throws IOException;

        /** True once the registry was seen ignoring a range request. */
        boolean ignoresRanges();

        InputStream stream() throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(ParallelBlobStream.class);

    private final String what;
    private final long size;
    private final String digest;
    private final Blob blob;
    private final FetchPool pool;
    private final int chunkSize;
    private final int window;
    private final LongConsumer progress;
    private final MessageDigest sha256;
    private final ArrayDeque<CompletableFuture<byte[]>> ahead = new ArrayDeque<>();
    private long scheduled;
    private long consumed;
    private byte[] current;
    private int position;
    private boolean holdsChunk;
    private InputStream whole;
    private boolean verified;

    /**
     * @param what     names the blob in errors
     * @param digest   the descriptor's {@code sha256:} digest
     * @param progress told how many bytes arrived
     */
    public ParallelBlobStream(String what, long size, String digest, Blob blob, FetchPool pool, int chunkSize,
                              int window, LongConsumer progress) {
        if (!digest.startsWith("sha256:")) {
            throw new IllegalArgumentException("only sha256 digests are supported, not " + digest);
        }
        this.what = what;
        this.size = size;
        this.digest = digest;
        this.blob = blob;
        this.pool = pool;
        this.chunkSize = chunkSize;
        this.window = window;
        this.progress = progress;
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (whole != null) {
            return readWhole(dst, off, len);
        }
        if ((current == null || position == current.length) && !nextChunk()) {
            return whole != null ? readWhole(dst, off, len) : -1;
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current, position, dst, off, n);
        position += n;
        return n;
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
        int buffered = current == null ? 0 : current.length - position;
        return buffered > 0 ? buffered : consumed < size ? 1 : 0;
    }

    private boolean nextChunk() throws IOException {
        releaseCurrent();
        if (consumed == size) {
            verify();
            return false;
        }
        if (consumed > 0 && blob.ignoresRanges()) {
            switchToStream();
            return false;
        }
        schedule();
        CompletableFuture<byte[]> next = ahead.poll();
        try {
            current = next.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            release(next);
            throw new InterruptedIOException("interrupted while downloading " + what);
        } catch (ExecutionException e) {
            pool.chunks.release();
            throw e.getCause() instanceof IOException io ? io : new IOException(what + ": " + e.getCause(), e.getCause());
        }
        holdsChunk = true;
        position = 0;
        consumed += current.length;
        sha256.update(current);
        progress.accept(current.length);
        return true;
    }

    /** Starts range requests until {@code window} chunks are ahead, waiting for a slot only when none is. */
    private void schedule() throws IOException {
        while (ahead.size() < window && scheduled < size) {
            if (ahead.isEmpty()) {
                try {
                    pool.chunks.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting to download " + what);
                }
            } else if (!pool.chunks.tryAcquire()) {
                return;
            }
            long offset = scheduled;
            int length = (int) Math.min(chunkSize, size - offset);
            scheduled += length;
            CompletableFuture<byte[]> chunk = new CompletableFuture<>();
            try {
                pool.requests.execute(() -> {
                    try {
                        chunk.complete(blob.range(offset, length));
                    } catch (IOException | RuntimeException e) {
                        chunk.completeExceptionally(e);
                    }
                });
            } catch (RuntimeException e) {
                pool.chunks.release();
                throw new IOException("cannot download " + what + ": the download pool is closed", e);
            }
            ahead.add(chunk);
        }
    }

    /** The registry ignores ranges: every request ahead would download the blob up to its end offset. */
    private void switchToStream() throws IOException {
        log.info("{}: the registry ignores range requests, downloading it as one stream", what);
        abandonAhead();
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
        consumed += n;
        sha256.update(dst, off, n);
        progress.accept(n);
        if (consumed == size) {
            verify();
        }
        return n;
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        String actual = "sha256:" + HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(digest)) {
            throw new IOException(what + " has digest " + actual + ", not " + digest + ": the registry sent other"
                    + " bytes than the image's manifest names");
        }
        verified = true;
    }

    private void releaseCurrent() {
        if (holdsChunk) {
            holdsChunk = false;
            pool.chunks.release();
        }
        current = null;
    }

    private void abandonAhead() {
        for (CompletableFuture<byte[]> chunk = ahead.poll(); chunk != null; chunk = ahead.poll()) {
            release(chunk);
        }
    }

    /** Gives the chunk's slot back once its request is over (its bytes are dropped). */
    private void release(CompletableFuture<byte[]> chunk) {
        chunk.whenComplete((bytes, failure) -> pool.chunks.release());
    }

    @Override
    public void close() throws IOException {
        releaseCurrent();
        abandonAhead();
        if (whole != null) {
            whole.close();
        }
    }
}
