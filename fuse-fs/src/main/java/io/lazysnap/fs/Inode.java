package io.lazysnap.fs;

import io.lazysnap.estargz.TocEntry;
import java.time.Instant;
import java.util.Map;

/**
 * One object of the served tree, as {@code stat} reports it, plus where a regular file's bytes come from. Every
 * name of a hardlinked file maps to the same instance, so they share {@link #ino()}.
 *
 * @param ino           inode number, 1 for the root
 * @param path          the object's path in the layer (a hardlinked file's: its target's): log lines name it, and
 *                      directory entries whose name is its last element read their name from it
 * @param mode          {@code st_mode}: type bits and permission bits
 * @param nlink         names pointing at the object; for directories 2 plus their subdirectories
 * @param symlinkTarget the link target for symlinks, else null
 * @param xattrs        extended attributes, including the ones overlayfs reads
 * @param content       the TOC entry holding a regular file's chunks, else null
 */
record Inode(long ino, String path, int mode, long uid, long gid, long size, Instant mtime, int nlink,
             int devMajor, int devMinor, String symlinkTarget, Map<String, byte[]> xattrs, TocEntry content) {

    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFCHR = 0020000;

    boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /** Extended attribute value (not copied: callers must not modify it), or null. */
    byte[] xattr(String name) {
        return xattrs.get(name);
    }
}
