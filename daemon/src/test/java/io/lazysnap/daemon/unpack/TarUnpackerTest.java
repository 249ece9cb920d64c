package io.lazysnap.daemon.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.LayerFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacks real and hostile tars as root and compares what lands on disk, metadata included. */
class TarUnpackerTest {

    @TempDir
    Path tmp;
    private Path out;
    private Path outside;

    @BeforeEach
    void dirs() throws IOException {
        out = Files.createDirectory(tmp.resolve("out"));
        outside = Files.createDirectory(tmp.resolve("outside"));
    }

    @Test
    void unpacksWhatGnuTarPackedWithEveryMetadata() throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        sh(src, """
                mkdir -p usr/lib bin private && echo lib > usr/lib/libx.so
                printf 'setuid\\n' > bin/su && chmod 4755 bin/su && chown 1000:2000 bin/su
                echo secret > private/key && chmod 600 private/key && chmod 700 private
                ln -s usr/lib/ lib && ln -s /no/such/target dangling && chown -h 7:8 dangling
                ln bin/su bin/su-again
                mkfifo pipe && mknod null c 1 3 && mknod sda b 8 0
                setfattr -n user.note -v hello usr/lib/libx.so
                touch -h -d @1500000000 lib && touch -d @1400000000 usr/lib/libx.so usr/lib usr private
                """);
        Path tar = tmp.resolve("layer.tar");
        sh(tmp, "tar --xattrs --xattrs-include='*' --numeric-owner -C src -cf layer.tar .");

        TarUnpacker.Result result = new TarUnpacker(out).unpack(Files.newInputStream(tar));

        assertEquals(describe(src), describe(out));
        assertEquals(List.of(), result.implicitDirs(), "GNU tar lists every directory");
        assertEquals(Files.getAttribute(out.resolve("bin/su"), "unix:ino"),
                Files.getAttribute(out.resolve("bin/su-again"), "unix:ino"), "a hardlink shares its target's inode");
    }

    @Test
    void turnsWhiteoutsIntoOverlayfsForm() throws Exception {
        byte[] tar = new Tars().dir("var/").file("etc/.wh.passwd", "").file("var/.wh..wh..opq", "")
                .file("var/new", "fresh\n").bytes();

        TarUnpacker.Result result = new TarUnpacker(out).unpack(new ByteArrayInputStream(tar));

        assertEquals("character special file 0,0", sh(out, "stat -c '%F %t,%T' etc/passwd").strip());
        assertEquals("y", sh(out, "getfattr --only-values -n trusted.overlay.opaque var").strip());
        assertEquals("fresh\n", Files.readString(out.resolve("var/new")));
        assertEquals(List.of("etc"), result.implicitDirs(), "etc was not listed");
        assertFalse(Files.exists(out.resolve("etc/.wh.passwd"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void implicitDirectoriesTakeTheLowerLayersAttributes() throws Exception {
        Path lower = Files.createDirectories(tmp.resolve("lower/usr/local"));
        sh(tmp, "chown 5:6 lower/usr/local && chmod 2775 lower/usr/local && touch -d @1300000000 lower/usr/local");
        TarUnpacker.Result result = new TarUnpacker(out).unpack(new ByteArrayInputStream(
                new Tars().file("usr/local/bin/tool", "x").bytes()));

        TarUnpacker.inherit(out, result.implicitDirs(), List.of(tmp.resolve("empty"), tmp.resolve("lower")));

        assertEquals("2775 5:6 1300000000", sh(out, "stat -c '%a %u:%g %Y' usr/local").strip());
        assertEquals("755 0:0", sh(out, "stat -c '%a %u:%g' usr/local/bin").strip(), "no lower has it");
        assertTrue(Files.isDirectory(lower));
    }

    @Test
    void refusesNamesOutsideTheLayer() {
        for (String name : List.of("../escape", "/abs", "a/../../escape", "nul\0name")) {
            assertThrows(LayerFormatException.class, () -> new TarUnpacker(out).unpack(new ByteArrayInputStream(
                    new Tars().pax(Map.of("path", name)).file("x", "x").bytes())), name);
        }
        assertFalse(Files.exists(tmp.resolve("escape")));
        assertFalse(Files.exists(Path.of("/abs")));
    }

    @Test
    void neverWritesThroughASymlinkTheLayerPlanted() throws Exception {
        byte[] tar = new Tars().symlink("link", outside.toString()).file("link/pwned", "x").bytes();

        LayerFormatException e = assertThrows(LayerFormatException.class,
                () -> new TarUnpacker(out).unpack(new ByteArrayInputStream(tar)));

        assertTrue(e.getMessage().contains("\"link\""), e.getMessage());
        assertEquals(0, outside.toFile().list().length, "nothing written outside");
    }

    @Test
    void replacesRatherThanWritesThroughAnExistingSymlink() throws Exception {
        Files.writeString(outside.resolve("victim"), "untouched");
        byte[] tar = new Tars().symlink("f", outside.resolve("victim").toString()).file("f", "replaced").bytes();

        new TarUnpacker(out).unpack(new ByteArrayInputStream(tar));

        assertEquals("untouched", Files.readString(outside.resolve("victim")));
        assertEquals("replaced", Files.readString(out.resolve("f")));
    }

    @Test
    void hardlinksOnlyNameFilesOfTheLayer() throws Exception {
        Files.writeString(outside.resolve("secret"), "s");
        List<byte[]> hostile = List.of(
                new Tars().hardlink("h", "../outside/secret").bytes(),
                new Tars().hardlink("h", outside.resolve("secret").toString()).bytes(),
                new Tars().symlink("d", outside.toString()).hardlink("h", "d/secret").bytes(),
                new Tars().dir("dir/").hardlink("h", "dir").bytes(),
                new Tars().hardlink("h", "missing").bytes());
        for (byte[] tar : hostile) {
            Path root = Files.createTempDirectory(tmp, "layer");
            assertThrows(LayerFormatException.class, () -> new TarUnpacker(root).unpack(new ByteArrayInputStream(tar)));
        }
        assertEquals(1, Files.getAttribute(outside.resolve("secret"), "unix:nlink"));
    }

    @Test
    void refusesAWhiteoutOfNothingAndDropsOverlayfsAttributes() throws Exception {
        assertThrows(LayerFormatException.class, () -> new TarUnpacker(out).unpack(new ByteArrayInputStream(
                new Tars().file("dir/.wh.", "").bytes())));
        Path fresh = Files.createDirectory(tmp.resolve("fresh"));
        new TarUnpacker(fresh).unpack(new ByteArrayInputStream(new Tars()
                .pax(Map.of("SCHILY.xattr.trusted.overlay.redirect", "/etc", "SCHILY.xattr.user.ok", "1"))
                .dir("d/").bytes()));
        assertEquals("1", sh(fresh, "getfattr --only-values -n user.ok d").strip());
        assertFalse(sh(fresh, "getfattr -d -m - d").contains("trusted.overlay"), "overlayfs attributes are not set");
    }

    @Test
    void boundsWhatItRemembersAndRefusesWhiteoutsOfParents() {
        Tars many = new Tars();
        for (int i = 0; i < 11; i++) {
            many.dir("d" + i + "/");
        }
        LayerFormatException e = assertThrows(LayerFormatException.class,
                () -> new TarUnpacker(out, 10).unpack(new ByteArrayInputStream(many.bytes())));
        assertTrue(e.getMessage().contains("more than 10 directories"), e.getMessage());
        assertThrows(LayerFormatException.class, () -> new TarUnpacker(out, 10).unpack(new ByteArrayInputStream(
                new Tars().file("a/b/c/d/e/f/g/h/i/j/k/l", "deep").bytes())), "implicit directories count too");
        for (String name : List.of("dir/.wh..", "dir/.wh.")) {
            assertThrows(LayerFormatException.class, () -> new TarUnpacker(tmp.resolve("out")).unpack(
                    new ByteArrayInputStream(new Tars().file(name, "").bytes())), name);
        }
    }

    /** Everything stat and getfattr say about each entry, sorted, plus file contents' digests. */
    static String describe(Path root) throws Exception {
        return sh(root, "find . -mindepth 1 -print0 | sort -z | xargs -0 stat -c '%n %f %u:%g %s %Y %t:%T %h %N'"
                + " && find . -type f -print0 | sort -z | xargs -0 -r sha256sum"
                + " && { find . -mindepth 1 -print0 | sort -z | xargs -0 getfattr -d -m - -h 2>/dev/null"
                + " | grep -v '^$' || true; }");
    }

    static String sh(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-ec", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(Duration.ofMinutes(1).toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        return output;
    }
}
