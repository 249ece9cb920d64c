package io.lazysnap.fs;

import io.lazysnap.estargz.DigestMismatchException;
import io.lazysnap.estargz.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verified, decompressed chunks on disk, named by their sha256 and shared by every layer. Files appear only
 * through an atomic rename of a finished temporary file. A file found at start (an earlier run's, maybe torn by a
 * power cut) is re-hashed the first time it is read, so neither a crash in the middle of a write nor a torn file is
 * ever served; a file this process wrote or has already verified is not hashed again: re-hashing a 4 MiB chunk
 * for each 128 KiB the kernel asks for cost a container's start up to half a second (python3 bench image).
 *
 * <p>Three bounds, each with a high and a low watermark (see {@link DiskLimits}): the bytes of the cache, how full
 * the file system holding it is, and the number of its files, whose index is in the heap (a node's images of small
 * files would otherwise grow it past the heap). Before a write would pass a high watermark, the least recently used
 * files are deleted until the cache is under the low one; files in use (being fetched, written or read whole, as
 * told by the {@code inUse} predicate) are never deleted; a part being read from a file deleted meanwhile is still read
 * whole, from the open file. When the file system stays too full even so, the chunk is simply not written: readers
 * keep getting it from memory or the registry. The recency order survives a restart through the files'
 * modification times: set when a file is written or read whole, not at each part read.
 *
 * <p>Layout: {@code <dir>/chunks/<2 hex>/<64 hex>} and {@code <dir>/tmp/} for writes in progress.
 */
final class DiskChunkCache {

    private static final Logger LOG = LoggerFactory.getLogger(DiskChunkCache.class);
    /**
     * Bytes handed to each write call: {@code Files.write} writes 8 KiB at a time (512 calls for a 4 MiB chunk), and
     * one call for a whole chunk would make the JDK keep a temporary direct buffer of that size on every thread.
     */
    private static final int WRITE_SLICE = 128 << 10;

    private final Path chunks;
    private final Path tmp;
    private final DiskLimits limits;
    private final DiskSpace space;
    private final Predicate<Sha256> inUse;
    /** name -> its file, in access order: the first entry is the least recently used. */
    private final LinkedHashMap<Sha256, DiskFile> index = new LinkedHashMap<>(1024, 0.75f, true);
    private final AtomicLong tempNames = new AtomicLong();
    private long totalBytes;
    private long evictions;
    private long skippedWrites;
    /** Whether the last write was skipped for want of space: logged once per episode, not per chunk. */
    private boolean full;

    /** A chunk file: its size, and whether this process wrote it or has hashed it (guarded by {@code index}). */
    private static final class DiskFile {
        final long size;
        boolean verified;

        DiskFile(long size, boolean verified) {
            this.size = size;
            this.verified = verified;
        }
    }

    DiskChunkCache(Path directory, DiskLimits limits, DiskSpace space, Predicate<Sha256> inUse) throws IOException {
        this.chunks = Files.createDirectories(directory.resolve("chunks"));
        this.tmp = Files.createDirectories(directory.resolve("tmp"));
        makeShards();
        this.limits = limits;
        this.space = space;
        this.inUse = inUse;
        deleteLeftoverTemporaries();
        loadIndex();
    }

    /** The chunk's bytes if a file for it exists and hashes to its name; a bad file is deleted. */
    byte[] get(ChunkKey key, long expectedSize) {
        Sha256 name = key.digest();
        if (name == null || !contains(name)) {
            return null;
        }
        Path file = path(name);
        try {
            byte[] data = Files.readAllBytes(file);
            if (data.length != expectedSize) {
                throw new DigestMismatchException(data.length + " bytes, not " + expectedSize);
            }
            if (!isVerified(name)) {
                if (!name.equals(Sha256.hash(data))) {
                    throw new DigestMismatchException(data.length + " bytes that do not hash to the name");
                }
                markVerified(name);
            }
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
            return data;
        } catch (NoSuchFileException e) {
            forget(name);
            return null;
        } catch (IOException e) {
            LOG.warn("dropping disk cache file {}: {}", file, e.toString());
            delete(name);
            return null;
        }
    }

    /**
     * Puts {@code length} bytes from {@code offset} of a chunk whose file this process wrote or has verified into
     * {@code sink} at {@code at}; false if there is no such file, or it was not verified yet ({@link #get} hashes it
     * whole first). Reading only the part asked for keeps the chunk out of the heap: its file's pages stay in the
     * kernel's page cache.
     */
    boolean readVerified(ChunkKey key, long size, long offset, int length, FileReader.Sink sink, int at) {
        Sha256 name = key.digest();
        // Without the chunk's claim, so it touches neither the file nor the index: the file may be evicted and
        // written again meanwhile. Whatever fails here is left to get, which runs under the claim.
        return name != null && isVerified(name) && sink.putFile(at, path(name), size, offset, length);
    }

    /** Stores a verified chunk unless already present, first evicting down to the low watermarks if needed. */
    void put(ChunkKey key, byte[] data) {
        Sha256 name = key.digest();
        if (name == null || contains(name) || data.length > limits.highBytes()) {
            return;
        }
        if (!makeRoom(data.length)) {
            return;
        }
        Path temp = tmp.resolve(name.hex() + "." + tempNames.incrementAndGet());
        try {
            write(temp, data);
            moveIntoPlace(temp, path(name));
        } catch (IOException e) {
            LOG.warn("cannot write disk cache file for {}: {}", key.digest(), e.toString());
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a leftover temporary is deleted at the next start
            }
            return;
        }
        synchronized (index) {
            if (index.put(name, new DiskFile(data.length, true)) == null) {
                totalBytes += data.length;
            }
        }
    }

    /**
     * Evicts least recently used files that are not in use, if adding {@code incoming} bytes would pass a high
     * watermark, until the cache and the file system are under the low ones. False when the file system would still
     * be past its high watermark: the write should be skipped.
     */
    private boolean makeRoom(long incoming) {
        DiskSpace.Usage fs = space.usage();
        List<Sha256> victims = new ArrayList<>();
        long fsUsedAfter;
        synchronized (index) {
            long toFree = 0;
            if (totalBytes + incoming > limits.highBytes()) {
                toFree = totalBytes + incoming - limits.lowBytes();
            }
            long fsUsed = fs.usedBytes() + incoming;
            if (fs.percentOf(fsUsed) > limits.highPercent()) {
                toFree = Math.max(toFree, fsUsed - fs.bytesAtPercent(limits.lowPercent()));
            }
            int adding = incoming > 0 ? 1 : 0;
            long keepFiles = index.size() + adding > limits.highFiles() ? limits.lowFiles() : Long.MAX_VALUE;
            long freed = 0;
            Iterator<Map.Entry<Sha256, DiskFile>> it = index.entrySet().iterator();
            while ((freed < toFree || index.size() + adding > keepFiles) && it.hasNext()) {
                Map.Entry<Sha256, DiskFile> lru = it.next();
                if (!inUse.test(lru.getKey())) {
                    freed += lru.getValue().size;
                    totalBytes -= lru.getValue().size;
                    victims.add(lru.getKey());
                    it.remove();
                    evictions++;
                }
            }
            fsUsedAfter = fsUsed - freed;
        }
        victims.forEach(this::deleteFile);
        boolean room = fs.percentOf(fsUsedAfter) <= limits.highPercent();
        noteRoom(room);
        return room;
    }

    private void noteRoom(boolean room) {
        synchronized (index) {
            if (!room) {
                skippedWrites++;
            }
            if (room == !full) {
                return;
            }
            full = !room;
        }
        if (room) {
            LOG.info("disk chunk cache {}: the file system has room again, caching chunks on disk", chunks.getParent());
        } else {
            LOG.warn("disk chunk cache {}: the file system is over {}% full even without evictable chunks; chunks are"
                    + " not written to disk until it has room (reads fetch them from the registry)",
                    chunks.getParent(), limits.highPercent());
        }
    }

    /** Deletes the files of {@code names} that exist and are not in use; returns the bytes freed. */
    long evict(Iterable<Sha256> names) {
        List<Sha256> victims = new ArrayList<>();
        long freed = 0;
        synchronized (index) {
            for (Sha256 name : names) {
                DiskFile removed = inUse.test(name) ? null : index.remove(name);
                if (removed != null) {
                    totalBytes -= removed.size;
                    freed += removed.size;
                    victims.add(name);
                }
            }
        }
        victims.forEach(this::deleteFile);
        return freed;
    }

    boolean contains(ChunkKey key) {
        Sha256 name = key.digest();
        return name != null && contains(name);
    }

    long bytes() {
        synchronized (index) {
            return totalBytes;
        }
    }

    long entries() {
        synchronized (index) {
            return index.size();
        }
    }

    long evictions() {
        synchronized (index) {
            return evictions;
        }
    }

    long skippedWrites() {
        synchronized (index) {
            return skippedWrites;
        }
    }

    /** Whether the file is in the index and this process wrote or hashed it; like {@link #contains}, a use. */
    private boolean isVerified(Sha256 name) {
        synchronized (index) {
            DiskFile file = index.get(name);
            return file != null && file.verified;
        }
    }

    private void markVerified(Sha256 name) {
        synchronized (index) {
            DiskFile file = index.get(name);
            if (file != null) {
                file.verified = true;
            }
        }
    }

    private boolean contains(Sha256 name) {
        synchronized (index) {
            return index.get(name) != null; // get, not containsKey: a hit counts as a use
        }
    }

    private void delete(Sha256 name) {
        forget(name);
        deleteFile(name);
    }

    private void forget(Sha256 name) {
        synchronized (index) {
            DiskFile removed = index.remove(name);
            if (removed != null) {
                totalBytes -= removed.size;
            }
        }
    }

    /** A new file or nothing: whatever sits at the name (a symlink included) is never written through. */
    private static void write(Path file, byte[] data) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer rest = ByteBuffer.wrap(data);
            while (rest.position() < data.length) {
                rest.limit(Math.min(rest.position() + WRITE_SLICE, data.length));
                out.write(rest);
            }
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            Files.createDirectories(target.getParent()); // its directory was deleted under the running cache
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Makes the 256 directories chunk files go in, now rather than as chunks arrive: on ext4, making each of them
     * cost a cold node's first pull about half a millisecond on its prefetch's path.
     */
    private void makeShards() throws IOException {
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < 256; i++) {
            Path shard = chunks.resolve(hex.toHexDigits((byte) i));
            if (!Files.isDirectory(shard)) {
                Files.createDirectories(shard);
            }
        }
    }

    private void deleteFile(Sha256 name) {
        try {
            Files.deleteIfExists(path(name));
        } catch (IOException e) {
            LOG.warn("cannot delete disk cache file {}: {}", path(name), e.toString());
        }
    }

    private Path path(Sha256 name) {
        return file(chunks, name);
    }

    /** Where the chunk named {@code name} lives under a cache's {@code chunks} directory. */
    static Path file(Path chunks, Sha256 name) {
        String hex = name.hex();
        return chunks.resolve(hex.substring(0, 2)).resolve(hex);
    }

    private void deleteLeftoverTemporaries() throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Rebuilds the index from the files, oldest modification first, then trims to the watermarks. */
    private void loadIndex() throws IOException {
        record Found(Sha256 name, long size, FileTime used) {
        }
        List<Found> found = new ArrayList<>();
        try (Stream<Path> files = Files.find(chunks, 2, (p, a) -> a.isRegularFile())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Sha256 name = Sha256.ofHex(p.getFileName().toString());
                // Only a file where the cache looks for it: one elsewhere would count and never be deleted.
                if (name != null && p.equals(file(chunks, name))) {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    found.add(new Found(name, a.size(), a.lastModifiedTime()));
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        found.sort(Comparator.comparing(Found::used));
        synchronized (index) {
            for (Found f : found) {
                index.put(f.name(), new DiskFile(f.size(), false)); // an earlier run's: hashed at its first read
                totalBytes += f.size();
            }
        }
        LOG.info("disk chunk cache {}: {} chunks, {} bytes", chunks.getParent(), found.size(), bytes());
        makeRoom(0);
    }
}
