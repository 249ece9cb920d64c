package io.lazysnap.estargz;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One file-system object of a layer as its TOC describes it: immutable, and free of any file-system binding.
 *
 * <p>Paths are clean and relative: no leading {@code ./} or {@code /}, no trailing {@code /}; the root is
 * {@code ""}. Overlay whiteouts ({@code .wh.name}, {@code .wh..wh..opq}) are ordinary entries. A hardlink entry
 * carries its target's clean path in {@link #linkName()}; {@link Toc#resolve(TocEntry)} returns the target.
 */
public final class TocEntry {

    private final String path;
    private final EntryType type;
    private final long size;
    private final Instant modTime;
    private final String linkName;
    private final int mode;
    private final long uid;
    private final long gid;
    private final String userName;
    private final String groupName;
    private final int devMajor;
    private final int devMinor;
    private final Map<String, byte[]> xattrs;
    private final Sha256 digest;
    private final List<Chunk> chunks;
    private final int numLink;

    TocEntry(Draft d, List<Chunk> chunks, int numLink) {
        this.path = d.path;
        this.type = d.type;
        this.size = d.type == EntryType.REG ? d.size : 0;
        this.modTime = d.modTime;
        this.linkName = d.linkName;
        this.mode = d.mode;
        this.uid = d.uid;
        this.gid = d.gid;
        this.userName = d.userName;
        this.groupName = d.groupName;
        this.devMajor = d.devMajor;
        this.devMinor = d.devMinor;
        this.xattrs = d.xattrs.isEmpty() ? Map.of() : Collections.unmodifiableMap(d.xattrs);
        this.digest = d.sha256;
        this.chunks = List.copyOf(chunks);
        this.numLink = numLink;
    }

    /** Clean path relative to the layer root; {@code ""} for the root directory. */
    public String path() {
        return path;
    }

    /** Last path element; {@code ""} for the root. */
    public String name() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    public EntryType type() {
        return type;
    }

    public boolean isDirectory() {
        return type == EntryType.DIR;
    }

    /** Uncompressed size for regular files, 0 otherwise. */
    public long size() {
        return size;
    }

    /** Modification time; {@link Instant#EPOCH} when the TOC records none. */
    public Instant modTime() {
        return modTime;
    }

    /** Symlink target as recorded, or clean hardlink target path; null for other types. */
    public String linkName() {
        return linkName;
    }

    /** Permission bits plus setuid, setgid and sticky ({@code 07777}). */
    public int mode() {
        return mode;
    }

    /** {@code st_mode}: {@link #mode()} with the {@code S_IFMT} bits of the type. */
    public int fileMode() {
        return type.formatBits() | mode;
    }

    public long uid() {
        return uid;
    }

    public long gid() {
        return gid;
    }

    /** Owner name, or {@code ""} when unknown. */
    public String userName() {
        return userName;
    }

    /** Group name, or {@code ""} when unknown. */
    public String groupName() {
        return groupName;
    }

    public int devMajor() {
        return devMajor;
    }

    public int devMinor() {
        return devMinor;
    }

    /** Names of the extended attributes, in TOC order. */
    public Set<String> xattrNames() {
        return xattrs.keySet();
    }

    /** A copy of one extended attribute's value, or null if absent. */
    public byte[] xattr(String name) {
        byte[] value = xattrs.get(name);
        return value == null ? null : value.clone();
    }

    /** {@code sha256:} of the whole file content when recorded, else null. */
    public String digest() {
        return digest == null ? null : digest.toString();
    }

    /** The file's chunks in file order, contiguous from 0 to {@link #size()}; empty unless a non-empty file. */
    public List<Chunk> chunks() {
        return chunks;
    }

    /**
     * The chunks holding any byte of {@code [offset, offset + length)}, clipped to the file size.
     */
    public List<Chunk> chunksCovering(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative range " + offset + "+" + length);
        }
        long end = Math.min(size, offset + length);
        if (offset >= end) {
            return List.of();
        }
        int first = indexOfChunkAt(offset);
        int last = indexOfChunkAt(end - 1);
        return chunks.subList(first, last + 1);
    }

    private int indexOfChunkAt(long fileOffset) {
        int lo = 0;
        int hi = chunks.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (chunks.get(mid).fileOffset() <= fileOffset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * {@code st_nlink}: for directories 2 plus the number of subdirectories, for other objects the number of
     * names (1 plus hardlinks) pointing at it. A hardlink entry reports its target's count.
     */
    public int numLink() {
        return numLink;
    }

    @Override
    public String toString() {
        return type.jsonName() + " " + (path.isEmpty() ? "/" : path);
    }
}
