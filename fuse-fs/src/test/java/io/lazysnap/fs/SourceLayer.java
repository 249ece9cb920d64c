package io.lazysnap.fs;

import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.LayerConverter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A generated layer tar, written with commons-compress (not our tar code), and converted to eStargz. Tests read
 * the expectations back from the tar itself, so a mistake here cannot hide a mistake in the file system.
 */
final class SourceLayer {

    static final Instant MTIME = Instant.parse("2024-03-01T12:34:56Z");
    /** A vfs_cap_data v2 value ({@code cap_net_bind_service+ep}): the kernel refuses malformed ones. */
    static final String CAP_NET_BIND_SERVICE = "\u0001\u0000\u0000\u0002\u0000\u0004" + "\u0000".repeat(14);

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);
    private final List<String> prioritized = new ArrayList<>();
    private byte[] finished;

    /** A converted layer: the blob and its descriptor annotations. */
    record Blob(byte[] bytes, ConversionResult result) {
        Map<String, String> annotations() {
            return result.annotations();
        }
    }

    SourceLayer() {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    /** Every entry type, chunk-boundary sizes, hardlinks, xattrs in three namespaces, whiteouts, odd names. */
    static SourceLayer standard(int chunkSize) throws IOException {
        Random random = new Random(42);
        SourceLayer s = new SourceLayer();
        s.dir("./", 0755);
        s.dir("bin/", 0755);
        s.file("bin/empty", new byte[0], 0644);
        s.file("bin/small", "hello, layer\n".getBytes(StandardCharsets.UTF_8), 04755);
        s.file("bin/one-chunk", random(random, chunkSize), 0644);
        s.file("bin/many-chunks", random(random, 3 * chunkSize + chunkSize / 3), 0600);
        s.file("bin/chunk-and-a-byte", random(random, chunkSize + 1), 0444);
        s.hardlink("bin/link-to-many", "bin/many-chunks");
        s.hardlink("bin/second-link", "bin/many-chunks");
        s.hardlink("bin/link-to-small", "bin/small");
        s.symlink("bin/sh", "busybox");
        s.symlink("bin/abs", "/usr/bin/env");
        s.dir("dev/", 0755);
        s.device("dev/null", TarConstants.LF_CHR, 1, 3);
        s.device("dev/sda", TarConstants.LF_BLK, 8, 0);
        s.device("dev/big", TarConstants.LF_CHR, 300, 70000);
        s.fifo("dev/pipe");
        s.dir("etc/", 01777);
        Map<String, String> xattrs = new LinkedHashMap<>();
        xattrs.put("user.text", "plain");
        xattrs.put("trusted.note", "for root");
        xattrs.put("security.capability", CAP_NET_BIND_SERVICE);
        s.add(entry("etc/caps", TarConstants.LF_NORMAL, 0755), "cap".getBytes(StandardCharsets.UTF_8), null, xattrs);
        s.add(entry("etc/xdir/", TarConstants.LF_DIR, 0750), new byte[0], null, Map.of("user.dir", "yes"));
        s.file("etc/.wh.removed", new byte[0], 0644);
        s.dir("opaque/", 0755);
        s.file("opaque/.wh..wh..opq", new byte[0], 0644);
        s.file("opaque/kept", "kept".getBytes(StandardCharsets.UTF_8), 0644);
        s.file("unicode/\u00e9t\u00e9-\u65e5\u672c-\ud83d\ude00.txt", "unicode".getBytes(StandardCharsets.UTF_8), 0644);
        String longDir = "d".repeat(120) + "/";
        s.dir(longDir, 0700);
        s.file(longDir + "f".repeat(150), "long name".getBytes(StandardCharsets.UTF_8), 0644);
        s.symlink("long-target", "x".repeat(200));
        s.file("zeros", new byte[5 * chunkSize / 2], 0644);
        TarArchiveEntry owned = entry("owned", TarConstants.LF_NORMAL, 0640);
        owned.setUserId(3_000_000);
        owned.setGroupId(2_500_000);
        s.add(owned, "mine".getBytes(StandardCharsets.UTF_8), null, Map.of());
        s.dir("deep/a/b/c/", 0755);
        s.file("deep/a/b/c/leaf", "leaf".getBytes(StandardCharsets.UTF_8), 0644);
        return s;
    }

    static byte[] random(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        for (int i = 0; i < n; i += 5) {
            b[i] = 'a'; // partly compressible, like real binaries
        }
        return b;
    }

    SourceLayer dir(String name, int mode) throws IOException {
        return dir(name, mode, Map.of());
    }

    SourceLayer dir(String name, int mode, Map<String, String> xattrs) throws IOException {
        return add(entry(name, TarConstants.LF_DIR, mode), new byte[0], null, xattrs);
    }

    SourceLayer file(String name, byte[] content, int mode) throws IOException {
        return add(entry(name, TarConstants.LF_NORMAL, mode), content, null, Map.of());
    }

    SourceLayer symlink(String name, String target) throws IOException {
        return add(entry(name, TarConstants.LF_SYMLINK, 0777), new byte[0], target, Map.of());
    }

    SourceLayer hardlink(String name, String target) throws IOException {
        return add(entry(name, TarConstants.LF_LINK, 0644), new byte[0], target, Map.of());
    }

    SourceLayer device(String name, byte flag, int major, int minor) throws IOException {
        TarArchiveEntry e = entry(name, flag, 0660);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return add(e, new byte[0], null, Map.of());
    }

    SourceLayer fifo(String name) throws IOException {
        return add(entry(name, TarConstants.LF_FIFO, 0644), new byte[0], null, Map.of());
    }

    /** Marks a file to be written before {@code .prefetch.landmark}. */
    SourceLayer prioritize(String path) {
        prioritized.add(path);
        return this;
    }

    private static TarArchiveEntry entry(String name, byte flag, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name, flag, false);
        e.setMode(mode);
        e.setModTime(FileTime.from(MTIME));
        e.setUserId(1000);
        e.setGroupId(100);
        e.setUserName("user");
        e.setGroupName("users");
        return e;
    }

    SourceLayer add(TarArchiveEntry e, byte[] content, String link, Map<String, String> xattrs) throws IOException {
        if (link != null) {
            e.setLinkName(link);
        }
        xattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, v));
        e.setSize(e.isFile() && !e.isLink() ? content.length : 0);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
        return this;
    }

    byte[] tar() throws IOException {
        if (finished == null) {
            tar.finish();
            finished = bytes.toByteArray();
        }
        return finished;
    }

    Blob estargz(int chunkSize) throws IOException {
        LayerConverter converter = LayerConverter.builder().chunkSize(chunkSize).prioritizedFiles(prioritized)
                .compressionLevel(1).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConversionResult result = converter.convert(new ByteArrayInputStream(tar()), out);
        return new Blob(out.toByteArray(), result);
    }
}
