package io.lazysnap.fs;

import static io.lazysnap.fs.MountTest.sh;
import static io.lazysnap.fs.MountTest.walk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two mounted layers as overlayfs lowerdirs: the upper layer's whiteouts and opaque dirs act on the lower one. */
class OverlayTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    @Test
    void whiteoutsAndOpaqueDirectoriesHideLowerContent() throws Exception {
        SourceLayer lower = new SourceLayer()
                .dir("a/", 0755).file("a/keep", bytes("keep"), 0644).file("a/gone", bytes("gone"), 0644)
                .dir("a/sub/", 0755).file("a/sub/x", bytes("x"), 0644)
                .dir("opq/", 0755).file("opq/old", bytes("old"), 0644).dir("opq/olddir/", 0755)
                .file("opq/olddir/y", bytes("y"), 0644)
                .dir("d/", 0755).file("d/file", bytes("d"), 0644)
                .file("replaced", bytes("lower"), 0644);
        SourceLayer upper = new SourceLayer()
                .dir("a/", 0755).file("a/.wh.gone", new byte[0], 0644)
                .dir("opq/", 0755).file("opq/.wh..wh..opq", new byte[0], 0644).file("opq/new", bytes("new"), 0644)
                .file(".wh.d", new byte[0], 0644)
                .file("replaced", bytes("upper"), 0644)
                .file("added", bytes("added"), 0644);
        SourceLayer.Blob lowerBlob = lower.estargz(CHUNK);
        SourceLayer.Blob upperBlob = upper.estargz(CHUNK);
        Set<String> expected = new TreeSet<>(Set.of("", "a", "a/keep", "a/sub", "a/sub/x", "opq", "opq/new",
                "replaced", "added"));
        ChunkCache cache = ChunkCache.builder().build();
        LayerFsOptions options = LayerFsOptions.builder(cache).build();
        try (TestMounts mounts = new TestMounts(tmp)) {
            Path l1 = mounts.mount(lowerBlob, options).mountpoint();
            Path l2 = mounts.mount(upperBlob, options).mountpoint();
            Path readOnly = mounts.newDirectory("ro");
            Path merged = mounts.newDirectory("merged");
            Path up = mounts.newDirectory("upper");
            Path work = mounts.newDirectory("work");
            try {
                sh("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + l2 + ":" + l1, readOnly.toString());
                sh("mount", "-t", "overlay", "overlay", "-o",
                        "lowerdir=" + l2 + ":" + l1 + ",upperdir=" + up + ",workdir=" + work, merged.toString());
                for (Path view : new Path[] {readOnly, merged}) {
                    assertEquals(expected, walk(view), view.toString());
                    assertEquals("upper", Files.readString(view.resolve("replaced")));
                    assertEquals("keep", Files.readString(view.resolve("a/keep")));
                    assertEquals("new", Files.readString(view.resolve("opq/new")));
                    assertFalse(Files.exists(view.resolve("a/gone"), LinkOption.NOFOLLOW_LINKS));
                    assertFalse(Files.exists(view.resolve("d"), LinkOption.NOFOLLOW_LINKS));
                }
                // the writable view behaves like any container root file system
                Files.writeString(merged.resolve("a/keep"), "changed");
                Files.delete(merged.resolve("a/sub/x"));
                Files.writeString(merged.resolve("a/gone"), "back");
                assertEquals("changed", Files.readString(merged.resolve("a/keep")));
                assertEquals("back", Files.readString(merged.resolve("a/gone")));
                assertFalse(Files.exists(merged.resolve("a/sub/x")));
                assertEquals("keep", Files.readString(l1.resolve("a/keep")), "the lower layer is untouched");
                assertTrue(Files.exists(up.resolve("a/keep")));
                assertEquals("0 0", sh("stat", "-c", "%Hr %Lr", up.resolve("a/sub/x").toString()).get(0),
                        "overlayfs records the deletion as its own whiteout");
            } finally {
                umount(merged);
                umount(readOnly);
            }
        }
    }

    private static void umount(Path p) throws Exception {
        if (!TestMounts.mountsUnder(p).isEmpty()) {
            sh("umount", p.toString());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
