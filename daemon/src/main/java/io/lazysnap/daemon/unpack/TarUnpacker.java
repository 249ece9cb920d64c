package io.lazysnap.daemon.unpack;

import io.lazysnap.estargz.EntryPaths;
import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.LayerFormatException;
import io.lazysnap.estargz.TarHeader;
import io.lazysnap.estargz.TarReader;
import io.lazysnap.daemon.snapshot.FileTree;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a layer's tar stream into an empty directory in the form overlayfs reads as a lower layer, as containerd's
 * overlayfs unpack does: {@code .wh.<name>} becomes a 0/0 character device {@code <name>}, {@code .wh..wh..opq}
 * the {@code trusted.overlay.opaque=y} attribute of its directory; owners, modes (set-id bits included), extended
 * attributes, device numbers and times are kept.
 *
 * <p>It runs as root on bytes from a registry, so nothing is ever written outside the directory: names are cleaned
 * ({@code ..}, absolute and NUL names refused), nothing is created through a symlink or non-directory the layer
 * made (an entry below one is refused, not resolved), existing paths are replaced, never written through, and
 * hardlinks may only name files this layer unpacked. A refused layer throws {@link LayerFormatException}; the
 * caller deletes the directory.
 */
public final class TarUnpacker {

    private static final Logger log = LoggerFactory.getLogger(TarUnpacker.class);
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    /** overlayfs' own attributes: a layer setting them could redirect lookups or fake whiteouts. */
    private static final String OVERLAY_XATTRS = "trusted.overlay.";
    private static final int BUFFER = 128 << 10;
    /**
     * Directories are remembered until the end (their times are set last): a layer with more is refused rather
     * than allowed to exhaust the daemon's heap, and containerd unpacks it instead.
     */
    private static final int MAX_DIRECTORIES = 200_000;

    /**
     * What an unpack made.
     *
     * @param entries      tar entries applied
     * @param implicitDirs directories (clean relative paths) the layer needed but did not list, created 0755 root:root;
     *                     overlayfs would show their attributes over a lower layer's: see {@link #inherit}
     */
    public record Result(long entries, List<String> implicitDirs) {
    }

    private final Path root;
    private final int maxDirectories;
    private final byte[] buffer = new byte[BUFFER];
    /** Directories whose times are set last: writing their children changed them. */
    private final Map<Path, Instant> dirTimes = new LinkedHashMap<>();
    private final List<String> implicitDirs = new ArrayList<>();
    /** Directories (clean relative paths) this unpack made or checked, so that each entry need not stat its parents. */
    private final Set<String> knownDirs = new HashSet<>();

    /** @param root an existing, empty directory */
    public TarUnpacker(Path root) {
        this(root, MAX_DIRECTORIES);
    }

    TarUnpacker(Path root, int maxDirectories) {
        this.root = root;
        this.maxDirectories = maxDirectories;
    }

    /** Applies every entry of {@code tar}; returns at the end-of-archive marker, leaving the rest unread. */
    public Result unpack(InputStream tar) throws IOException {
        TarReader reader = new TarReader(tar);
        long entries = 0;
        for (TarHeader header = reader.next(); header != null; header = reader.next()) {
            apply(header, reader.payload());
            entries++;
        }
        for (Map.Entry<Path, Instant> dir : dirTimes.entrySet()) {
            Libc.setTimes(dir.getKey(), dir.getValue());
        }
        return new Result(entries, List.copyOf(implicitDirs));
    }

    /**
     * Gives each implicit directory the owner, mode and times of the same directory in the topmost of
     * {@code lowers} (top first) that has one, as containerd does for parents a layer leaves out.
     */
    public static void inherit(Path root, List<String> implicitDirs, List<Path> lowers) throws IOException {
        for (String dir : implicitDirs) {
            for (Path lower : lowers) {
                Path source = lower.resolve(dir);
                if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                    Path target = root.resolve(dir);
                    Map<String, Object> a = Files.readAttributes(source, "unix:uid,gid,mode,lastModifiedTime", NOFOLLOW);
                    Libc.lchown(target, (Integer) a.get("uid"), (Integer) a.get("gid"));
                    Libc.chmod(target, (Integer) a.get("mode") & 07777);
                    Libc.setTimes(target, ((FileTime) a.get("lastModifiedTime")).toInstant());
                    break;
                }
            }
        }
    }

    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private void apply(TarHeader header, InputStream payload) throws IOException {
        String path = EntryPaths.clean(header.name());
        if (path.isEmpty()) {
            if (header.type() == EntryType.DIR) {
                setMetadata(root, header, false);
                remember(root, header.modTime());
            }
            return;
        }
        String parent = EntryPaths.parent(path);
        String base = path.substring(parent.isEmpty() ? 0 : parent.length() + 1);
        Path parentDir = directory(parent);
        if (base.equals(OPAQUE)) {
            int errno = Libc.lsetxattr(parentDir, OVERLAY_XATTRS + "opaque", "y".getBytes(StandardCharsets.US_ASCII));
            if (errno != 0) {
                throw Libc.failure("marking " + EntryPaths.quote(parent) + " opaque", errno);
            }
            return;
        }
        if (base.startsWith(WHITEOUT)) {
            whiteout(parentDir, path, base.substring(WHITEOUT.length()), header);
            return;
        }
        Path target = parentDir.resolve(base);
        boolean exists = Libc.exists(target);
        boolean keepDirectory = exists && header.type() == EntryType.DIR && Files.isDirectory(target, NOFOLLOW);
        if (exists && !keepDirectory) {
            delete(target);
        }
        switch (header.type()) {
            case DIR -> {
                if (!keepDirectory) {
                    Files.createDirectory(target);
                }
                knownDirs.add(path);
                setMetadata(target, header, false);
                remember(target, header.modTime());
                return;
            }
            case REG -> write(target, payload);
            case SYMLINK -> {
                if (header.linkName().isEmpty() || header.linkName().indexOf('\0') >= 0) {
                    throw new LayerFormatException("symlink " + EntryPaths.quote(path) + " has an empty target or one with NUL");
                }
                Libc.symlink(header.linkName(), target); // byte for byte: Path.of would drop a trailing slash
            }
            case HARDLINK -> {
                Files.createLink(target, linkTarget(path, header.linkName()));
                return; // the same inode: its metadata is the target's
            }
            case CHAR -> Libc.mknod(target, Libc.S_IFCHR, header.devMajor(), header.devMinor());
            case BLOCK -> Libc.mknod(target, Libc.S_IFBLK, header.devMajor(), header.devMinor());
            case FIFO -> Libc.mknod(target, Libc.S_IFIFO, 0, 0);
            default -> throw new LayerFormatException("unsupported entry type " + header.type() + " at " + EntryPaths.quote(path));
        }
        setMetadata(target, header, header.type() == EntryType.SYMLINK);
        Libc.setTimes(target, header.modTime());
    }

    private void remember(Path dir, Instant modTime) throws LayerFormatException {
        dirTimes.put(dir, modTime);
        if (dirTimes.size() > maxDirectories) {
            throw new LayerFormatException("the layer has more than " + maxDirectories + " directories");
        }
    }

    private void whiteout(Path parentDir, String path, String hidden, TarHeader header) throws IOException {
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw new LayerFormatException("whiteout " + EntryPaths.quote(path) + " names no file");
        }
        if (hidden.startsWith(WHITEOUT)) {
            log.debug("skipping aufs metadata entry {}", path);
            return;
        }
        Path target = parentDir.resolve(hidden);
        delete(target);
        Libc.mknod(target, Libc.S_IFCHR, 0, 0);
        Libc.lchown(target, id(header.uid(), "uid", header), id(header.gid(), "gid", header));
    }

    /**
     * The directory at clean relative {@code path}, made (0755, root-owned) where missing. Refuses a path through
     * anything but a real directory: the layer cannot make the unpack follow a symlink it planted.
     */
    private Path directory(String path) throws IOException {
        if (path.isEmpty() || knownDirs.contains(path)) {
            return root.resolve(path);
        }
        Path dir = root;
        int start = 0;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            dir = dir.resolve(path.substring(start, end));
            String prefix = path.substring(0, end);
            if (!knownDirs.contains(prefix) && !Files.isDirectory(dir, NOFOLLOW)) {
                if (Libc.exists(dir)) {
                    throw new LayerFormatException("entry below " + EntryPaths.quote(prefix)
                            + ", which this layer made a symlink or file: refusing to write through it");
                }
                Files.createDirectory(dir);
                Libc.chmod(dir, 0755);
                implicitDirs.add(prefix);
                if (implicitDirs.size() > maxDirectories) {
                    throw new LayerFormatException("the layer leaves out more than " + maxDirectories
                            + " parent directories");
                }
            }
            knownDirs.add(prefix);
            start = end + 1;
        }
        return dir;
    }

    /** A hardlink's target: a file this layer unpacked already. */
    private Path linkTarget(String path, String linkName) throws IOException {
        String clean = EntryPaths.clean(linkName);
        String parent = EntryPaths.parent(clean);
        Path dir = root;
        for (String element : parent.isEmpty() ? new String[0] : parent.split("/")) {
            dir = dir.resolve(element);
            if (!Files.isDirectory(dir, NOFOLLOW)) {
                throw new LayerFormatException("hardlink " + EntryPaths.quote(path) + " names " + EntryPaths.quote(linkName)
                        + ", which is not below a directory of this layer");
            }
        }
        Path target = root.resolve(clean);
        if (clean.isEmpty() || !Files.exists(target, NOFOLLOW) || Files.isDirectory(target, NOFOLLOW)) {
            throw new LayerFormatException("hardlink " + EntryPaths.quote(path) + " names " + EntryPaths.quote(linkName)
                    + ", which is not a file unpacked earlier in this layer");
        }
        return target;
    }

    private void write(Path target, InputStream payload) throws IOException {
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            for (int n = payload.read(buffer); n >= 0; n = payload.read(buffer)) {
                out.write(buffer, 0, n);
            }
        }
    }

    /** Owner first (chown clears set-id bits and file capabilities), then mode, then attributes. */
    private static void setMetadata(Path target, TarHeader header, boolean symlink) throws IOException {
        Libc.lchown(target, id(header.uid(), "uid", header), id(header.gid(), "gid", header));
        if (!symlink) {
            Libc.chmod(target, (int) (header.mode() & 07777));
        }
        for (Map.Entry<String, byte[]> xattr : header.xattrs().entrySet()) {
            String name = xattr.getKey();
            if (name.startsWith(OVERLAY_XATTRS)) {
                log.warn("ignoring attribute {} of {}: overlayfs' own attributes are not taken from layers", name,
                        EntryPaths.quote(header.name()));
                continue;
            }
            int errno = Libc.lsetxattr(target, name, xattr.getValue());
            if (errno == Libc.ENOTSUP || errno == Libc.EPERM && !name.startsWith("security.")) {
                log.warn("cannot set attribute {} of {} on this file system: {}", name, EntryPaths.quote(header.name()),
                        Libc.failure("lsetxattr", errno).getMessage());
            } else if (errno != 0) {
                throw Libc.failure("setting attribute " + name + " of " + EntryPaths.quote(header.name()), errno);
            }
        }
    }

    private static int id(long value, String field, TarHeader header) throws LayerFormatException {
        if (value < 0 || value > 0xfffffffeL) {
            throw new LayerFormatException(field + " " + value + " of " + EntryPaths.quote(header.name()) + " is out of range");
        }
        return (int) value;
    }

    /** Removes whatever the layer put at {@code target} before (a replaced entry), never following a symlink. */
    private void delete(Path target) throws IOException {
        if (!Files.isDirectory(target, NOFOLLOW)) {
            Files.deleteIfExists(target);
            return;
        }
        String path = root.relativize(target).toString();
        knownDirs.removeIf(dir -> dir.equals(path) || dir.startsWith(path + "/"));
        dirTimes.keySet().removeIf(dir -> dir.startsWith(target));
        FileTree.delete(target);
    }
}
