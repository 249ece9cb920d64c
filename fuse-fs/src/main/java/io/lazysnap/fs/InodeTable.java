package io.lazysnap.fs;

import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.Toc;
import io.lazysnap.estargz.TocEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The immutable tree a layer presents, built from its TOC the way overlayfs expects a {@code lowerdir} to look:
 * a whiteout {@code .wh.NAME} becomes a character device 0/0 named {@code NAME}, a directory holding
 * {@code .wh..wh..opq} carries {@code trusted.overlay.opaque=y}, and the marker files themselves (and the
 * prefetch landmarks) are hidden. A layer's own {@code trusted.overlay.*} attributes are dropped: overlayfs would
 * read them as its own metadata (redirects, metacopy, opaque), which only this translation may set. Knows nothing
 * about FUSE.
 */
final class InodeTable {

    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final String OVERLAY_XATTRS = "trusted.overlay.";

    /**
     * A name in a directory. Most names are the last element of their object's path, which the entry then reads
     * rather than holding a string of its own (48 bytes a file); a hardlink's name that differs from its target's
     * holds its own.
     */
    static final class DirEntry {
        private final String ownName;
        private final Inode inode;

        private DirEntry(String name, Inode inode) {
            String path = inode.path();
            boolean last = path.endsWith(name)
                    && (path.length() == name.length() || path.charAt(path.length() - name.length() - 1) == '/');
            this.ownName = last ? null : name;
            this.inode = inode;
        }

        String name() {
            return ownName != null ? ownName : inode.path().substring(inode.path().lastIndexOf('/') + 1);
        }

        Inode inode() {
            return inode;
        }

        /** Compares this entry's name with {@code name}, as {@link String#compareTo} would, without copying it. */
        int compareName(String name) {
            if (ownName != null) {
                return ownName.compareTo(name);
            }
            String path = inode.path();
            int start = path.lastIndexOf('/') + 1;
            int length = path.length() - start;
            int common = Math.min(length, name.length());
            for (int i = 0; i < common; i++) {
                int c = path.charAt(start + i) - name.charAt(i);
                if (c != 0) {
                    return c;
                }
            }
            return length - name.length();
        }
    }

    private final Map<Long, List<DirEntry>> children;
    /** Every object by its inode number; index 0 is unused. */
    private final Inode[] byIno;
    /** The inode number of each directory's parent (the root's own for the root), by inode number. */
    private final long[] parents;
    private final long totalBytes;

    private InodeTable(Map<Long, List<DirEntry>> children, Inode[] byIno, long[] parents, long totalBytes) {
        this.children = children;
        this.byIno = byIno;
        this.parents = parents;
        this.totalBytes = totalBytes;
    }

    static InodeTable of(Toc toc) {
        return new Builder(toc).build();
    }

    Inode root() {
        return byIno[1];
    }

    /** The object at a path such as {@code /bin/sh} or {@code bin/sh}, or null. */
    Inode lookup(String path) {
        Inode at = root();
        for (String name : path.split("/")) {
            if (!name.isEmpty()) {
                at = child(at, name);
                if (at == null) {
                    return null;
                }
            }
        }
        return at;
    }

    /**
     * The object with inode number {@code ino}, or null. Numbers follow the TOC's order, so a layer's numbers are
     * the same in every process that serves it: a mount handed to a new process keeps them.
     */
    Inode inode(long ino) {
        return ino > 0 && ino < byIno.length ? byIno[(int) ino] : null;
    }

    /** The entry {@code name} of directory {@code dir}, or null. */
    Inode child(Inode dir, String name) {
        List<DirEntry> entries = children(dir);
        int low = 0;
        int high = entries.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int c = entries.get(mid).compareName(name);
            if (c == 0) {
                return entries.get(mid).inode();
            } else if (c < 0) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return null;
    }

    /** The inode number of a directory's parent ({@code ..}); the root is its own parent. */
    long parentOf(Inode dir) {
        long p = dir.ino() < parents.length ? parents[(int) dir.ino()] : 0;
        return p == 0 ? dir.ino() : p;
    }

    /** A directory's entries sorted by name (without {@code .} and {@code ..}); empty for other objects. */
    List<DirEntry> children(Inode dir) {
        return children.getOrDefault(dir.ino(), List.of());
    }

    /** Number of distinct objects. */
    int inodeCount() {
        int count = 0;
        for (Inode inode : byIno) {
            count += inode == null ? 0 : 1;
        }
        return count;
    }

    /** Sum of the sizes of the regular files, each hardlinked file counted once. */
    long totalBytes() {
        return totalBytes;
    }

    private static final class Builder {
        private final Toc toc;
        private final Map<TocEntry, Inode> objects = new IdentityHashMap<>();
        private final Map<String, Inode> byPath = new HashMap<>();
        private final Map<String, Set<String>> names = new HashMap<>();
        private final List<TocEntry> whiteouts = new ArrayList<>();
        private final Set<String> opaque = new LinkedHashSet<>();
        private long nextIno = 1;

        Builder(Toc toc) {
            this.toc = toc;
        }

        InodeTable build() {
            byPath.put("", inode(toc.root()));
            for (TocEntry e : toc.entries()) {
                if (!e.path().isEmpty()) {
                    add(e);
                }
            }
            for (TocEntry w : whiteouts) {
                String hidden = join(parent(w.path()), w.name().substring(WHITEOUT_PREFIX.length()));
                // A file and its whiteout in one layer: the whiteout only applies to lower layers.
                if (!byPath.containsKey(hidden)) {
                    put(hidden, whiteout(w, hidden));
                }
            }
            for (String dir : opaque) {
                byPath.put(dir, opaqueCopy(byPath.get(dir)));
            }
            Map<Long, List<DirEntry>> children = new HashMap<>();
            Inode[] byIno = new Inode[(int) nextIno];
            long[] parents = new long[(int) nextIno];
            byPath.values().forEach(i -> byIno[(int) i.ino()] = i);
            names.forEach((dir, set) -> {
                List<DirEntry> list = new ArrayList<>(set.size());
                long dirIno = byPath.get(dir).ino();
                set.stream().sorted().forEach(n -> {
                    Inode child = byPath.get(join(dir, n));
                    list.add(new DirEntry(n, child));
                    if (child.isDirectory()) {
                        parents[(int) child.ino()] = dirIno;
                    }
                });
                children.put(dirIno, List.copyOf(list));
            });
            long total = objects.values().stream().mapToLong(Inode::size).sum();
            return new InodeTable(Map.copyOf(children), byIno, parents, total);
        }

        private void add(TocEntry e) {
            String name = e.name();
            String dir = parent(e.path());
            if (underHiddenName(dir)) {
                return;
            }
            if (dir.isEmpty() && (name.equals(Toc.PREFETCH_LANDMARK) || name.equals(Toc.NO_PREFETCH_LANDMARK))) {
                return;
            }
            if (name.equals(OPAQUE_MARKER)) {
                opaque.add(dir);
            } else if (name.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX) || name.equals(WHITEOUT_PREFIX)) {
                // other overlay metadata (e.g. .wh..wh.plnk) is never part of the tree; ".wh." whites out nothing
                return;
            } else if (name.startsWith(WHITEOUT_PREFIX)) {
                whiteouts.add(e);
            } else {
                put(e.path(), objects.computeIfAbsent(toc.resolve(e), this::inode));
            }
        }

        private void put(String path, Inode inode) {
            byPath.put(path, inode);
            names.computeIfAbsent(parent(path), d -> new LinkedHashSet<>()).add(path.substring(path.lastIndexOf('/') + 1));
        }

        private Inode inode(TocEntry e) {
            Map<String, byte[]> xattrs = new LinkedHashMap<>();
            for (String n : e.xattrNames()) {
                if (!n.startsWith(OVERLAY_XATTRS)) {
                    xattrs.put(n, e.xattr(n));
                }
            }
            boolean symlink = e.type() == EntryType.SYMLINK;
            // A symlink's size is its target's length: the kernel's cached symlinks (FUSE_CACHE_SYMLINKS) end there.
            long size = symlink ? e.linkName().getBytes(StandardCharsets.UTF_8).length : e.size();
            return new Inode(nextIno++, e.path(), e.fileMode(), e.uid(), e.gid(), size, e.modTime(),
                    Math.max(1, e.numLink()), e.devMajor(), e.devMinor(), symlink ? e.linkName() : null,
                    xattrs.isEmpty() ? Map.of() : Collections.unmodifiableMap(xattrs),  // most have none: no map each
                    e.type() == EntryType.REG ? e : null);
        }

        private Inode whiteout(TocEntry marker, String path) {
            return new Inode(nextIno++, path, Inode.S_IFCHR | marker.mode(), marker.uid(), marker.gid(), 0,
                    marker.modTime(), 1, 0, 0, null, Map.of(), null);
        }

        private static Inode opaqueCopy(Inode dir) {
            Map<String, byte[]> xattrs = new LinkedHashMap<>(dir.xattrs());
            xattrs.put(OPAQUE_XATTR, "y".getBytes(StandardCharsets.US_ASCII));
            return new Inode(dir.ino(), dir.path(), dir.mode(), dir.uid(), dir.gid(), dir.size(), dir.mtime(),
                    dir.nlink(), dir.devMajor(), dir.devMinor(), null, Collections.unmodifiableMap(xattrs), null);
        }

        /**
         * Whether {@code dir} is, or is under, a directory the tree does not show: named as a whiteout, an opaque
         * marker or overlay metadata ({@code .wh.} names), or a prefetch landmark. What lies there is hidden with it.
         */
        private static boolean underHiddenName(String dir) {
            return dir.startsWith(WHITEOUT_PREFIX) || dir.contains("/" + WHITEOUT_PREFIX)
                    || (dir + "/").startsWith(Toc.PREFETCH_LANDMARK + "/")
                    || (dir + "/").startsWith(Toc.NO_PREFETCH_LANDMARK + "/");
        }

        private static String parent(String path) {
            int slash = path.lastIndexOf('/');
            return slash < 0 ? "" : path.substring(0, slash);
        }

        private static String join(String dir, String name) {
            return dir.isEmpty() ? name : dir + "/" + name;
        }
    }
}
