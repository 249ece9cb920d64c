package io.lazysnap.fs;

import io.lazysnap.estargz.DigestMismatchException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verified, decompressed chunks on disk, named by their sha256 and shared by every layer. Files appear only
 * through an atomic rename of a finished temporary file, and are re-hashed when read, so neither a crash in the
 * middle of a write nor a torn file after a power cut is ever served. When the total passes the high watermark,
 * the least recently used files are deleted until it is under the low watermark. The recency order survives a
 * restart through the files' modification times.
 *
 * <p>Layout: {@code <dir>/chunks/<2 hex>/<64 hex>} and {@code <dir>/tmp/} for writes in progress.
 */
final class DiskChunkCache {

    private static final Logger LOG = LoggerFactory.getLogger(DiskChunkCache.class);

    private final Path chunks;
    private final Path tmp;
    private final long highWatermark;
    private final long lowWatermark;
    /** hex name -> size, in access order: the first entry is the least recently used. */
    private final LinkedHashMap<String, Long> index = new LinkedHashMap<>(1024, 0.75f, true);
    private final AtomicLong tempNames = new AtomicLong();
    private long totalBytes;
    private long evictions;

    DiskChunkCache(Path directory, long highWatermark, long lowWatermark) throws IOException {
        if (lowWatermark > highWatermark || lowWatermark < 0) {
            throw new IllegalArgumentException("need 0 <= low watermark <= high watermark");
        }
        this.chunks = Files.createDirectories(directory.resolve("chunks"));
        this.tmp = Files.createDirectories(directory.resolve("tmp"));
        this.highWatermark = highWatermark;
        this.lowWatermark = lowWatermark;
        deleteLeftoverTemporaries();
        loadIndex();
    }

    /** The chunk's bytes if a file for it exists and hashes to its name; a bad file is deleted. */
    byte[] get(ChunkKey key, long expectedSize) {
        String name = key.diskName();
        if (name == null || !contains(name)) {
            return null;
        }
        Path file = path(name);
        try {
            byte[] data = Files.readAllBytes(file);
            if (data.length != expectedSize || !HexFormat.of().formatHex(sha256(data)).equals(name)) {
                throw new DigestMismatchException(data.length + " bytes that do not hash to the name");
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

    /** Stores a verified chunk unless already present, then evicts down to the low watermark if needed. */
    void put(ChunkKey key, byte[] data) {
        String name = key.diskName();
        if (name == null || contains(name) || data.length > highWatermark) {
            return;
        }
        Path temp = tmp.resolve(name + "." + tempNames.incrementAndGet());
        try {
            Files.write(temp, data);
            Path target = path(name);
            Files.createDirectories(target.getParent());
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
            if (index.put(name, (long) data.length) == null) {
                totalBytes += data.length;
            }
        }
        evictIfFull(name);
    }

    /** Past the high watermark, deletes least recently used files (never {@code keep}) down to the low one. */
    private void evictIfFull(String keep) {
        List<String> victims = new ArrayList<>();
        synchronized (index) {
            if (totalBytes <= highWatermark) {
                return;
            }
            Iterator<Map.Entry<String, Long>> it = index.entrySet().iterator();
            while (totalBytes > lowWatermark && it.hasNext()) {
                Map.Entry<String, Long> lru = it.next();
                if (!lru.getKey().equals(keep)) {
                    totalBytes -= lru.getValue();
                    victims.add(lru.getKey());
                    it.remove();
                    evictions++;
                }
            }
        }
        victims.forEach(this::deleteFile);
    }

    boolean contains(ChunkKey key) {
        String name = key.diskName();
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

    private boolean contains(String name) {
        synchronized (index) {
            return index.get(name) != null; // get, not containsKey: a hit counts as a use
        }
    }

    private void delete(String name) {
        forget(name);
        deleteFile(name);
    }

    private void forget(String name) {
        synchronized (index) {
            Long size = index.remove(name);
            if (size != null) {
                totalBytes -= size;
            }
        }
    }

    private void deleteFile(String name) {
        try {
            Files.deleteIfExists(path(name));
        } catch (IOException e) {
            LOG.warn("cannot delete disk cache file {}: {}", path(name), e.toString());
        }
    }

    private Path path(String name) {
        return chunks.resolve(name.substring(0, 2)).resolve(name);
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
        record Found(String name, long size, FileTime used) {
        }
        List<Found> found = new ArrayList<>();
        try (Stream<Path> files = Files.find(chunks, 2, (p, a) -> a.isRegularFile())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.length() == 64 && name.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
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
                index.put(f.name(), f.size());
                totalBytes += f.size();
            }
        }
        LOG.info("disk chunk cache {}: {} chunks, {} bytes", chunks.getParent(), found.size(), bytes());
        evictIfFull(null);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
