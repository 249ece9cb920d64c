package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real FUSE mount of a generated layer, compared object by object with the tar it was converted from. */
class MountTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    @Test
    void theMountShowsExactlyWhatTheTarHolds() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        try (TestMounts mounts = new TestMounts(tmp)) {
            MountedLayer m = mounts.mount(blob, TestMounts.inMemory());
            Path root = m.mountpoint();
            assertEquals(expected.nodes.keySet(), walk(root), "the set of paths");
            Map<Path, Object> inodes = new HashMap<>();
            for (ExpectedTree.Node n : expected.nodes.values()) {
                assertNode(expected, n, root.resolve(n.path()), inodes);
            }
            assertTrue(Files.exists(root.resolve("etc/removed"), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(root.resolve("etc/.wh.removed"), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(root.resolve("opaque/.wh..wh..opq"), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(root.resolve(".no.prefetch.landmark"), LinkOption.NOFOLLOW_LINKS));
            assertEquals(0, m.stats().readErrors());
        }
    }

    @Test
    void shellToolsSeeTheSameTree() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        try (TestMounts mounts = new TestMounts(tmp)) {
            Path root = mounts.mount(blob, TestMounts.inMemory()).mountpoint();
            // find: type, permissions, owner, size, link count, mtime and link target of every object
            Map<String, String> found = new TreeMap<>();
            for (String line : sh("find", root.toString(), "-mindepth", "1", "-printf", "%P|%y|%m|%U|%G|%n|%T@|%l\\n")) {
                found.put(line.substring(0, line.indexOf('|')), line.substring(line.indexOf('|') + 1));
            }
            Map<String, String> wanted = new TreeMap<>();
            for (ExpectedTree.Node n : expected.nodes.values()) {
                if (!n.path().isEmpty()) {
                    ExpectedTree.Node t = expected.resolve(n);
                    long nlink = t.type() == 'd' ? 2 + expected.nodes.values().stream()
                            .filter(c -> c.type() == 'd' && parent(c.path()).equals(t.path()) && !c.path().isEmpty())
                            .count() : expected.names(t);
                    wanted.put(n.path(), String.join("|", findType(t.type()), Integer.toOctalString(t.mode()),
                            Long.toString(t.uid()), Long.toString(t.gid()), Long.toString(nlink),
                            t.mtime().getEpochSecond() + ".0000000000", t.link() == null || t.type() != 'l' ? "" : t.link()));
                }
            }
            assertEquals(wanted, found);
            // stat: device numbers (hex major/minor) and hardlink identity
            assertEquals(List.of("1 3"), sh("stat", "-c", "%Hr %Lr", root.resolve("dev/null").toString()));
            assertEquals(List.of("300 70000"), sh("stat", "-c", "%Hr %Lr", root.resolve("dev/big").toString()));
            assertEquals(List.of("0 0"), sh("stat", "-c", "%Hr %Lr", root.resolve("etc/removed").toString()));
            assertEquals(sh("stat", "-c", "%i %h", root.resolve("bin/many-chunks").toString()),
                    sh("stat", "-c", "%i %h", root.resolve("bin/second-link").toString()));
            // cat and cmp: contents
            for (ExpectedTree.Node n : expected.nodes.values()) {
                if (n.type() == 'f') {
                    Path copy = tmp.resolve("expected");
                    Files.write(copy, n.content());
                    assertEquals(List.of(), sh("cmp", copy.toString(), root.resolve(n.path()).toString()), n.path());
                }
            }
            assertEquals(List.of("hello, layer"), sh("cat", root.resolve("bin/link-to-small").toString()));
            // getfattr: every namespace, including the one overlayfs reads
            if (Files.isExecutable(Path.of("/usr/bin/getfattr"))) {
                List<String> attrs = sh("getfattr", "--absolute-names", "-d", "-m", "-", "-e", "hex",
                        root.resolve("etc/caps").toString(), root.resolve("opaque").toString());
                assertTrue(attrs.contains("security.capability=0x0100000200040000" + "0".repeat(24)), attrs.toString());
                assertTrue(attrs.contains("trusted.note=0x" + HexFormat.of().formatHex("for root".getBytes())), attrs.toString());
                assertTrue(attrs.contains("user.text=0x" + HexFormat.of().formatHex("plain".getBytes())), attrs.toString());
                assertTrue(attrs.contains("trusted.overlay.opaque=0x79"), attrs.toString());
            }
        }
    }

    @Test
    void largeDirectoriesAreListedCompletelyAndInOrder() throws Exception {
        SourceLayer source = new SourceLayer();
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < 3000; i++) {
            String name = String.format("entry-with-a-long-name-to-fill-readdir-buffers-%05d", i);
            names.add(name);
            source.file("big/" + name, new byte[] {(byte) i}, 0644);
        }
        SourceLayer.Blob blob = source.estargz(CHUNK);
        try (TestMounts mounts = new TestMounts(tmp)) {
            Path root = mounts.mount(blob, TestMounts.inMemory()).mountpoint();
            List<String> ls = sh("ls", "-U", "-a", root.resolve("big").toString());
            assertEquals(".", ls.get(0));
            assertEquals("..", ls.get(1));
            assertEquals(List.copyOf(names), ls.subList(2, ls.size()), "every name once, in a stable order");
            assertEquals(3002, sh("ls", "-a", root.resolve("big").toString()).size());
        }
    }

    @Test
    void theMountIsReadOnly() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        try (TestMounts mounts = new TestMounts(tmp)) {
            Path root = mounts.mount(blob, TestMounts.inMemory()).mountpoint();
            assertThrows(FileSystemException.class, () -> Files.writeString(root.resolve("bin/small"), "x"));
            assertThrows(FileSystemException.class, () -> Files.createFile(root.resolve("new")));
            assertThrows(FileSystemException.class, () -> Files.delete(root.resolve("bin/small")));
            assertThrows(FileSystemException.class, () -> Files.setLastModifiedTime(root.resolve("bin/small"),
                    FileTime.fromMillis(0)));
            assertFalse(Files.isWritable(root.resolve("etc")));
            List<String> df = sh("stat", "-f", "-c", "%T %b %S", root.toString());
            assertEquals(1, df.size());
            assertTrue(df.get(0).startsWith("fuseblk") || df.get(0).startsWith("fuse"), df.toString());
            List<String> mountLine = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .filter(l -> l.contains(" " + root + " ")).toList();
            assertEquals(1, mountLine.size());
            assertTrue(mountLine.get(0).contains("fuse.lazysnap ro,"), mountLine.get(0));
            assertTrue(mountLine.get(0).contains("allow_other"), mountLine.get(0));
            // allow_other lets any uid in; default_permissions makes the kernel apply the layer's modes
            assertEquals(List.of("hello, layer"), sh("setpriv", "--reuid=4321", "--regid=4321", "--clear-groups",
                    "cat", root.resolve("bin/small").toString()));
            assertEquals(List.of("ok"), sh("sh", "-c", "setpriv --reuid=4321 --regid=4321 --clear-groups cat "
                    + root.resolve("bin/many-chunks") + " >/dev/null 2>&1 || echo ok"), "0600 file of uid 1000");
            assertEquals(List.of("mine"), sh("setpriv", "--reuid=3000000", "--regid=2500000", "--clear-groups",
                    "cat", root.resolve("owned").toString()));
        }
    }

    private static void assertNode(ExpectedTree expected, ExpectedTree.Node n, Path p, Map<Path, Object> inodes)
            throws IOException {
        ExpectedTree.Node target = expected.resolve(n);
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        String what = n.path() + " " + a;
        assertEquals(formatBits(target.type()), mode & 0170000, what);
        if (!n.path().isEmpty() || target.mtime() != null) {
            assertEquals(target.mode(), mode & 07777, what);
            assertEquals(target.uid(), ((Integer) a.get("uid")) & 0xffffffffL, what);
            assertEquals(target.gid(), ((Integer) a.get("gid")) & 0xffffffffL, what);
            assertEquals(FileTime.from(target.mtime()), a.get("lastModifiedTime"), what);
        }
        switch (target.type()) {
            case 'f' -> {
                assertArrayEquals(target.content(), Files.readAllBytes(p), n.path());
                assertEquals((long) target.content().length, a.get("size"), what);
                assertEquals((int) expected.names(target), a.get("nlink"), what);
                Object ino = inodes.putIfAbsent(p, a.get("ino"));
                Path first = p.getRoot().resolve(p.subpath(0, p.getNameCount() - n.path().split("/").length))
                        .resolve(target.path());
                assertEquals(Files.getAttribute(first, "unix:ino"), a.get("ino"), "hardlinks share an inode: " + what);
                assertEquals(null, ino);
            }
            case 'l' -> {
                assertEquals(target.link(), Files.readSymbolicLink(p).toString(), what);
                // Kernels before 6.13 cut a cached symlink's target at its size.
                assertEquals((long) target.link().getBytes(StandardCharsets.UTF_8).length, a.get("size"), what);
            }
            case 'c', 'b' -> assertEquals(makedev(target.major(), target.minor()), a.get("rdev"), what);
            case 'd' -> {
                try (Stream<Path> list = Files.list(p)) {
                    Set<String> names = list.map(c -> c.getFileName().toString()).collect(Collectors.toSet());
                    Set<String> wanted = expected.nodes.keySet().stream()
                            .filter(k -> !k.isEmpty() && parent(k).equals(n.path()))
                            .map(k -> k.substring(k.lastIndexOf('/') + 1)).collect(Collectors.toSet());
                    assertEquals(wanted, names, what);
                }
            }
            default -> {
            }
        }
        Map<String, byte[]> xattrs = Libc.xattrs(p);
        assertEquals(target.xattrs().keySet(), xattrs.keySet(), what);
        target.xattrs().forEach((k, v) -> assertArrayEquals(v, xattrs.get(k), what + " " + k));
    }

    private static int formatBits(char type) {
        return switch (type) {
            case 'd' -> 0040000;
            case 'f' -> 0100000;
            case 'l' -> 0120000;
            case 'c' -> 0020000;
            case 'b' -> 0060000;
            case 'p' -> 0010000;
            default -> throw new AssertionError(type);
        };
    }

    private static String findType(char type) {
        return type == 'c' ? "c" : type == 'b' ? "b" : type == 'p' ? "p" : type == 'l' ? "l" : type == 'd' ? "d" : "f";
    }

    static String parent(String path) {
        return path.contains("/") ? path.substring(0, path.lastIndexOf('/')) : "";
    }

    static Set<String> walk(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.map(p -> root.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Runs a command; returns its output lines, failing on a non-zero exit. */
    static List<String> sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        List<String> lines = out.isEmpty() ? List.of() : List.of(out.split("\n"));
        if (rc != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + rc + ": " + out);
        }
        return lines;
    }

    /** glibc's {@code makedev}: how {@code st_rdev} reaches Java. */
    private static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
