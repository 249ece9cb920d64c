package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.ChunkDecoder;
import io.lazysnap.estargz.Chunk;
import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets one layer's chunks: memory cache, then disk cache, then the blob, whose bytes are verified against the
 * chunk digest and decompressed before they are cached. Concurrent loads of a chunk share one fetch. A failed read
 * of the blob is tried again with backoff up to the layer's attempts (1 where the blob source retries itself, as
 * the registry client does); a chunk that fails verification is fetched once more, and if it still fails it is
 * never served: the load fails, and the event is logged with the layer digest, file and offset.
 */
final class ChunkLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkLoader.class);
    /**
     * Fetches of a chunk whose bytes fail verification before its reads fail: once more, in case the bytes were
     * damaged on the way; a source that keeps sending wrong bytes is not asked again and again.
     */
    private static final int VERIFIED_FETCHES = 2;

    /** Why a chunk is wanted. */
    enum Purpose {
        /** A read the kernel is waiting for. */
        FOREGROUND(true, true),
        /** The next chunks of a sequential reader. */
        READ_AHEAD(true, true),
        /** The prioritised files, at mount. */
        PREFETCH(true, false),
        /** The rest of the layer, into the disk cache only, so that it cannot evict what readers use. */
        BACKGROUND(false, false);

        final boolean keepInMemory;
        final boolean foreground;

        Purpose(boolean keepInMemory, boolean foreground) {
            this.keepInMemory = keepInMemory;
            this.foreground = foreground;
        }
    }

    private final String layerDigest;
    /** Also what a chunk without a digest is keyed by: the layer's TOC may be dropped, this stays. */
    private final ChunkDecoder decoder;
    private final BlobSource blob;
    private final ChunkCache cache;
    private final LayerCounters counters;
    private final int attempts;
    private final long retryBackoffMillis;
    private final ForegroundActivity activity;

    ChunkLoader(String layerDigest, EstargzLayer layer, BlobSource blob, ChunkCache cache, LayerCounters counters,
                int attempts, long retryBackoffMillis, ForegroundActivity activity) {
        this.layerDigest = layerDigest;
        this.decoder = layer.chunkDecoder();
        this.blob = blob;
        this.cache = cache;
        this.counters = counters;
        this.attempts = attempts;
        this.retryBackoffMillis = retryBackoffMillis;
        this.activity = activity;
    }

    /**
     * Puts {@code length} bytes from {@code offset} of the chunk into {@code sink} at {@code at}: from memory, from
     * the part of its disk file asked for, or from the whole chunk loaded as {@link #load} does.
     */
    void read(FileChunk fc, int offset, int length, FileReader.Sink sink, int at) throws IOException {
        ChunkKey key = key(fc.chunk());
        byte[] data = cache.memoryGet(key);
        if (data == null) {
            if (cache.diskRead(key, fc.chunk().size(), offset, length, sink, at)) {
                counters.diskHits.increment();
                return;
            }
            data = load(fc, Purpose.FOREGROUND);
        } else {
            counters.memoryHits.increment();
        }
        sink.put(at, data, offset, length);
    }

    /** The chunk's verified, decompressed bytes (shared: callers must not modify them). */
    byte[] load(FileChunk fc, Purpose purpose) throws IOException {
        ChunkKey key = key(fc.chunk());
        boolean waitedInVain = false;
        while (true) {
            byte[] hit = cache.memoryGet(key);
            if (hit != null) {
                counters.memoryHits.increment();
                return hit;
            }
            CompletableFuture<byte[]> claimed = cache.claim(key);
            if (claimed != null) {
                return loadClaimed(key, fc, purpose, claimed);
            }
            CompletableFuture<byte[]> other = cache.pending(key);
            if (other == null) {
                continue; // it finished between our two looks
            }
            try {
                byte[] data = other.join();
                remember(key, data, purpose);
                return data;
            } catch (CompletionException e) {
                // Someone else's fetch (maybe a prefetch) failed: try once ourselves before giving up.
                if (waitedInVain) {
                    throw e.getCause() instanceof IOException io ? new IOException(io.getMessage(), io)
                            : new IOException(e.getCause());
                }
                waitedInVain = true;
            }
        }
    }

    /** Like {@link #load} for work nobody waits for: failures are only logged. */
    void loadQuietly(FileChunk fc, Purpose purpose) {
        try {
            load(fc, purpose);
        } catch (IOException e) {
            LOG.debug("{} of {} at {} failed: {}", purpose, fc.path(), fc.chunk().fileOffset(), e.toString());
        }
    }

    /** Whether a load would be answered without fetching (or is already being fetched). */
    boolean isCached(FileChunk fc, boolean orOnDisk) {
        ChunkKey key = key(fc.chunk());
        return cache.memoryGet(key) != null || cache.pending(key) != null || orOnDisk && cache.diskContains(key);
    }

    /**
     * Fetches the members of several chunks (in blob order) with one request spanning them, and caches each chunk as
     * soon as its member has come, while the rest of the span is still on its way. Chunks already cached or being
     * loaded are skipped, and so is a chunk whose member overlaps another's without being the same. A chunk that fails
     * verification here is left for its readers to load alone, with retries.
     */
    void loadRange(List<FileChunk> chunks, Purpose purpose) throws IOException {
        List<Member> members = claimMembers(chunks);
        if (members.isEmpty()) {
            return;
        }
        Exception failed = null;
        try {
            long[] offsets = members.stream().mapToLong(Member::offset).toArray();
            long[] ends = members.stream().mapToLong(Member::end).toArray();
            long start = offsets[0];
            int length = rangeLength(ends[ends.length - 1] - start);
            blob.read(start, length, new MemberReceiver(start, offsets, ends,
                    (index, bytes) -> arrived(members.get(index), bytes, purpose)));
            counters.blobReads.increment();
            counters.blobBytes.add(length);
        } catch (IOException | RuntimeException failure) {
            failed = failure;
            throw failure;
        } finally {
            // Whatever ended the read (an Error, a source that returned short), no reader may wait on a chunk forever.
            for (Member m : members) {
                for (Claimed c : m.chunks()) {
                    if (!c.load().isDone()) {
                        c.load().completeExceptionally(failed != null ? failed
                                : new IOException("the range request ended before the member of this chunk came"));
                    }
                    cache.release(c.key(), c.load());
                }
            }
        }
    }

    /** Claims the chunks to fetch, grouped by member in blob order. */
    private List<Member> claimMembers(List<FileChunk> chunks) {
        // Lists, not a map keyed by chunk: hashing a record links its generated hashCode at the first call, which
        // cost a daemon's first prefetch about 20 ms.
        List<Member> members = new ArrayList<>();
        for (FileChunk fc : chunks) {
            Chunk chunk = fc.chunk();
            Member last = members.isEmpty() ? null : members.get(members.size() - 1);
            boolean sameMember = last != null && last.offset() == chunk.memberOffset()
                    && last.end() == chunk.memberEnd();
            if (last != null && !sameMember && chunk.memberOffset() < last.end()
                    || chunk.memberEnd() <= chunk.memberOffset() || isCached(fc, true)) {
                continue;
            }
            ChunkKey key = key(chunk);
            CompletableFuture<byte[]> f = cache.claim(key);
            if (f == null) {
                continue;
            }
            if (!sameMember) {
                last = new Member(chunk.memberOffset(), chunk.memberEnd(), new ArrayList<>());
                members.add(last);
            }
            last.chunks().add(new Claimed(fc, key, f));
        }
        return members;
    }

    /** Decodes, caches and hands over the chunks of a member that has just come. */
    private void arrived(Member member, byte[] bytes, Purpose purpose) {
        for (Claimed c : member.chunks()) {
            Chunk chunk = c.file().chunk();
            try {
                c.load().complete(store(c.key(), decoder.decode(chunk, bytes, 0, bytes.length), purpose));
            } catch (IOException failure) {
                counters.verificationFailures.increment();
                LOG.warn("layer {}: {} at offset {} failed verification during {}: {}", layerDigest,
                        c.file().path(), chunk.fileOffset(), purpose, failure.getMessage());
                c.load().completeExceptionally(failure);
            }
            // Released now, not at the span's end: the cache (memory or disk) has it, and the future its bytes.
            cache.release(c.key(), c.load());
        }
    }

    /** A compressed member the request spans, and the chunks claimed in it. */
    private record Member(long offset, long end, List<Claimed> chunks) {
    }

    /** A chunk this load claimed, and the future its other readers wait on. */
    private record Claimed(FileChunk file, ChunkKey key, CompletableFuture<byte[]> load) {
    }

    private byte[] loadClaimed(ChunkKey key, FileChunk fc, Purpose purpose, CompletableFuture<byte[]> claimed)
            throws IOException {
        try {
            byte[] data = cache.memoryGet(key);
            if (data != null) {
                counters.memoryHits.increment();
            } else if ((data = cache.diskGet(key, fc.chunk().size())) != null) {
                counters.diskHits.increment();
                remember(key, data, purpose);
            } else {
                data = store(key, fetch(fc, purpose), purpose);
            }
            claimed.complete(data);
            return data;
        } catch (IOException | RuntimeException e) {
            claimed.completeExceptionally(e);
            throw e;
        } finally {
            cache.release(key, claimed);
        }
    }

    private byte[] store(ChunkKey key, byte[] data, Purpose purpose) {
        counters.chunksFetched.increment();
        cache.diskPut(key, data);
        remember(key, data, purpose);
        return data;
    }

    /**
     * Keeps a chunk in memory for its next reads, unless its disk file serves them: a read of a disk chunk reads
     * only the part asked for, from the kernel's page cache, so memory holds only what the disk cache did not take.
     */
    private void remember(ChunkKey key, byte[] data, Purpose purpose) {
        if (purpose.keepInMemory && !cache.diskContains(key)) {
            cache.memoryPut(key, data);
        }
    }

    private byte[] fetch(FileChunk fc, Purpose purpose) throws IOException {
        Chunk chunk = fc.chunk();
        if (purpose.foreground) {
            activity.begin();
        }
        try {
            IOException failure;
            int readFailures = 0;
            int mismatches = 0;
            while (true) {
                byte[] member;
                try {
                    member = read(chunk.memberOffset(), chunk.memberEnd() - chunk.memberOffset());
                } catch (InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    failure = e;
                    readFailures++;
                    LOG.debug("layer {}: fetching {} at offset {} failed (attempt {}/{}): {}", layerDigest,
                            fc.path(), chunk.fileOffset(), readFailures, attempts, e.toString());
                    if (readFailures >= attempts) {
                        break;
                    }
                    backoff(readFailures);
                    continue;
                }
                try {
                    return decoder.decode(chunk, member, 0, member.length);
                } catch (IOException e) {
                    failure = e;
                    mismatches++;
                    counters.verificationFailures.increment();
                    LOG.warn("layer {}: {} at offset {} failed verification ({} of {} fetches): {}", layerDigest,
                            fc.path(), chunk.fileOffset(), mismatches, VERIFIED_FETCHES, e.getMessage());
                    if (mismatches >= VERIFIED_FETCHES) {
                        break;
                    }
                }
            }
            LOG.error("layer {}: cannot serve {} at offset {} after {} fetches, reads fail with EIO: {}", layerDigest,
                    fc.path(), chunk.fileOffset(), readFailures + mismatches, String.valueOf(failure));
            throw failure;
        } finally {
            if (purpose.foreground) {
                activity.end();
            }
        }
    }

    private byte[] read(long offset, long length) throws IOException {
        byte[] bytes = blob.read(offset, rangeLength(length));
        counters.blobReads.increment();
        counters.blobBytes.add(bytes.length);
        return bytes;
    }

    /** {@code length} as one request's, which a blob source reads into one array or receiver. */
    private static int rangeLength(long length) throws IOException {
        if (length > Integer.MAX_VALUE) {
            throw new IOException("range of " + length + " bytes is too large to read at once");
        }
        return (int) length;
    }

    private void backoff(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep(retryBackoffMillis << (attempt - 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    private ChunkKey key(Chunk chunk) {
        return ChunkKey.of(chunk, decoder);
    }
}
