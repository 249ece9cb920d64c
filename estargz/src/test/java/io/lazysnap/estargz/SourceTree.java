package io.lazysnap.estargz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A generated layer with every entry type, written by commons-compress (an independent tar implementation),
 * and the expectations a reader of its conversion must meet.
 */
final class SourceTree {

    /** What one entry must look like after conversion. */
    record Expected(String path, EntryType type, byte[] content, String linkName, int mode, long uid, long gid,
                    Instant modTime, int devMajor, int devMinor, Map<String, byte[]> xattrs) {
    }

    final List<Expected> entries = new ArrayList<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar;
    private boolean finished;

    SourceTree() {
        tar = new TarArchiveOutputStream(bytes);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /** The standard tree: every type, chunk-boundary sizes around {@code chunkSize}, whiteouts, long names. */
    static SourceTree standard(int chunkSize) throws IOException {
        Random random = new Random(42);
        SourceTree t = new SourceTree();
        t.dir("./", 0755);
        t.dir("./bin/", 0755);
        t.file("./bin/empty", new byte[0], 0644);
        t.file("./bin/small", "hello, layer\n".getBytes(StandardCharsets.UTF_8), 04755);
        t.file("./bin/one-chunk", bytes(random, chunkSize), 0644);
        t.file("./bin/many-chunks", bytes(random, 3 * chunkSize + chunkSize / 3), 0600);
        t.file("./bin/chunk-and-a-byte", bytes(random, chunkSize + 1), 0644);
        t.hardlink("./bin/link-to-many", "./bin/many-chunks");
        t.hardlink("./bin/second-link", "./bin/many-chunks");
        t.hardlink("./bin/link-to-small", "./bin/small");
        t.symlink("./bin/sh", "busybox");
        t.symlink("./bin/abs", "/usr/bin/env");
        t.dir("./dev/", 0755);
        t.device("./dev/null", TarConstants.LF_CHR, 1, 3);
        t.device("./dev/sda", TarConstants.LF_BLK, 8, 0);
        t.fifo("./dev/pipe");
        t.dir("./etc/", 01777);
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        xattrs.put("user.text", "plain".getBytes(StandardCharsets.UTF_8));
        xattrs.put("user.binary", "\u0000\u0001\u00ff\u7fff".getBytes(StandardCharsets.UTF_8));
        xattrs.put("security.capability", "\u0001\u0000\u0000\u0002".getBytes(StandardCharsets.UTF_8));
        t.add(entry("./etc/caps", TarConstants.LF_NORMAL, 0755), "cap".getBytes(StandardCharsets.UTF_8), null, xattrs);
        t.file("./etc/.wh.removed", new byte[0], 0644);
        t.dir("./opaque/", 0755);
        t.file("./opaque/.wh..wh..opq", new byte[0], 0644);
        t.file("./unicode/\u00e9t\u00e9-\u65e5\u672c-\ud83d\ude00.txt", "unicode".getBytes(StandardCharsets.UTF_8), 0644);
        String longDir = "./" + "d".repeat(120) + "/";
        t.dir(longDir, 0700);
        t.file(longDir + "f".repeat(150), "long name".getBytes(StandardCharsets.UTF_8), 0644);
        t.symlink("./long-target", "x".repeat(200));
        t.file("./zeros", new byte[5 * chunkSize / 2], 0644);
        TarArchiveEntry owned = entry("./owned", TarConstants.LF_NORMAL, 0640);
        owned.setUserId(3_000_000);
        owned.setGroupId(2_500_000);
        owned.setUserName("\u00fcser-with-non-ascii-name");
        owned.setGroupName("staff");
        t.add(owned, "mine".getBytes(StandardCharsets.UTF_8), null, Map.of());
        return t;
    }

    static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        for (int i = 0; i < n; i += 7) {
            b[i] = 'a'; // partly compressible, like real binaries
        }
        return b;
    }

    SourceTree dir(String name, int mode) throws IOException {
        return add(entry(name, TarConstants.LF_DIR, mode), new byte[0], null, Map.of());
    }

    SourceTree file(String name, byte[] content, int mode) throws IOException {
        return add(entry(name, TarConstants.LF_NORMAL, mode), content, null, Map.of());
    }

    SourceTree symlink(String name, String target) throws IOException {
        return add(entry(name, TarConstants.LF_SYMLINK, 0777), new byte[0], target, Map.of());
    }

    SourceTree hardlink(String name, String target) throws IOException {
        return add(entry(name, TarConstants.LF_LINK, 0644), new byte[0], target, Map.of());
    }

    SourceTree device(String name, byte flag, int major, int minor) throws IOException {
        TarArchiveEntry e = entry(name, flag, 0660);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return add(e, new byte[0], null, Map.of());
    }

    SourceTree fifo(String name) throws IOException {
        return add(entry(name, TarConstants.LF_FIFO, 0644), new byte[0], null, Map.of());
    }

    private static TarArchiveEntry entry(String name, byte flag, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name, flag, false);
        e.setMode(mode);
        e.setModTime(java.nio.file.attribute.FileTime.from(Instant.parse("2024-03-01T12:34:56Z")));
        e.setUserId(1000);
        e.setGroupId(100);
        e.setUserName("user");
        e.setGroupName("users");
        return e;
    }

    private SourceTree add(TarArchiveEntry e, byte[] content, String link, Map<String, byte[]> xattrs)
            throws IOException {
        if (link != null) {
            e.setLinkName(link);
        }
        xattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, new String(v, StandardCharsets.UTF_8)));
        e.setSize(e.isFile() && !e.isLink() ? content.length : 0);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
        EntryType type = e.isDirectory() ? EntryType.DIR : e.isSymbolicLink() ? EntryType.SYMLINK
                : e.isLink() ? EntryType.HARDLINK : e.isCharacterDevice() ? EntryType.CHAR
                : e.isBlockDevice() ? EntryType.BLOCK : e.isFIFO() ? EntryType.FIFO : EntryType.REG;
        String linkName = type == EntryType.HARDLINK ? EntryPaths.clean(link) : link;
        entries.add(new Expected(EntryPaths.clean(e.getName()), type, content, linkName, e.getMode() & 07777,
                e.getLongUserId(), e.getLongGroupId(), e.getModTime().toInstant(), e.getDevMajor(), e.getDevMinor(),
                xattrs));
        return this;
    }

    byte[] tar() throws IOException {
        if (!finished) {
            tar.finish();
            finished = true;
        }
        return bytes.toByteArray();
    }

    byte[] tarGz() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(tar());
        }
        return out.toByteArray();
    }
}
