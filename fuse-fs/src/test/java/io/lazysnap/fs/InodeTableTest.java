package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.EstargzLayer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The served tree, without FUSE. */
class InodeTableTest {

    @Test
    void overlayMarkersBecomeWhatOverlayfsReadsAndDisappear() throws Exception {
        SourceLayer source = new SourceLayer()
                .dir("d/", 0755).file("d/.wh.gone", new byte[0], 0600)
                .file("d/.wh..wh..opq", new byte[0], 0644)
                .file("d/.wh..wh.plnk", new byte[0], 0644)
                .file("d/.wh.both", new byte[0], 0644).file("d/both", "real".getBytes(StandardCharsets.UTF_8), 0644)
                .file("f", "x".getBytes(StandardCharsets.UTF_8), 0644)
                .hardlink("g", "f");
        InodeTable table = table(source);
        Inode d = table.lookup("/d");
        assertEquals("y", new String(d.xattr(InodeTable.OPAQUE_XATTR), StandardCharsets.US_ASCII));
        assertEquals(List.of("both", "gone"), table.children(d).stream().map(InodeTable.DirEntry::name).toList());
        Inode gone = table.lookup("d/gone");
        assertEquals(Inode.S_IFCHR | 0600, gone.mode());
        assertEquals(0, gone.devMajor());
        assertEquals(0, gone.devMinor());
        assertEquals(Inode.S_IFREG | 0644, table.lookup("d/both").mode(), "a file beats its whiteout in one layer");
        assertNull(table.lookup("d/.wh.gone"));
        assertNull(table.lookup("d/.wh..wh..opq"));
        assertNull(table.lookup(".no.prefetch.landmark"));
        assertSame(table.lookup("f"), table.lookup("g"), "hardlinks are one inode");
        assertEquals(2, table.lookup("g").nlink());
        assertEquals(1, table.root().ino());
        assertEquals(table.inodeCount(), table.root() == null ? 0 : distinctInodes(table));
        assertNotEquals(table.lookup("d/gone").ino(), table.lookup("d/both").ino());
    }

    @Test
    void aLayersOwnOverlayXattrsAreNotServedAndAnEmptyWhiteoutNameIsIgnored() throws Exception {
        SourceLayer source = new SourceLayer()
                .dir("d/", 0755, Map.of("trusted.overlay.redirect", "/etc", "trusted.overlay.opaque", "y",
                        "trusted.overlay.metacopy", "", "user.kept", "1"))
                .file("d/.wh.", new byte[0], 0644)
                .file("d/f", "x".getBytes(StandardCharsets.UTF_8), 0644);
        InodeTable table = table(source);
        Inode d = table.lookup("d");
        assertEquals(Set.of("user.kept"), d.xattrs().keySet(), "overlayfs reads trusted.overlay.* as its own");
        assertEquals(List.of("f"), table.children(d).stream().map(InodeTable.DirEntry::name).toList());
    }

    @Test
    void namesFoundInTheirPathAndNamesOfTheirOwnListAndResolveTogether() throws Exception {
        // In d: "a" and "c" are the last element of their object's path; "b" is another name of x/bee, "bee" of
        // x/bee's own name in another directory, "e" a whiteout's object, "é" sorts after them all.
        SourceLayer source = new SourceLayer()
                .dir("d/", 0755).dir("x/", 0755)
                .file("x/bee", "b".getBytes(StandardCharsets.UTF_8), 0644)
                .file("d/a", "a".getBytes(StandardCharsets.UTF_8), 0644)
                .hardlink("d/b", "x/bee")
                .hardlink("d/bee", "x/bee")
                .file("d/c", "c".getBytes(StandardCharsets.UTF_8), 0644)
                .file("d/.wh.e", new byte[0], 0600)
                .file("d/\u00e9", "e".getBytes(StandardCharsets.UTF_8), 0644);
        InodeTable table = table(source);
        Inode d = table.lookup("d");
        assertEquals(List.of("a", "b", "bee", "c", "e", "\u00e9"),
                table.children(d).stream().map(InodeTable.DirEntry::name).toList());
        for (String name : List.of("a", "b", "bee", "c", "e", "\u00e9")) {
            assertSame(table.lookup("d/" + name), table.child(d, name), name);
            assertEquals(name, table.children(d).stream().filter(e -> e.inode() == table.child(d, name))
                    .map(InodeTable.DirEntry::name).filter(name::equals).findFirst().orElse(null));
        }
        assertSame(table.lookup("x/bee"), table.lookup("d/b"));
        assertSame(table.lookup("x/bee"), table.lookup("/d/bee"));
        for (String missing : List.of("", "0", "ab", "b0", "be", "beee", "d", "f", "\u00e8", "\u00ea")) {
            assertNull(table.child(d, missing), missing);
        }
        assertNull(table.lookup("d/a/b"));
        assertSame(table.root(), table.lookup("/"));
    }

    @Test
    void whatLiesUnderAHiddenNameIsHiddenWithIt() throws Exception {
        SourceLayer source = new SourceLayer()
                .dir("x/", 0755).dir("x/.wh..wh.plnk/", 0755).file("x/.wh..wh.plnk/f", new byte[1], 0644)
                .dir(".wh.d/", 0755).file(".wh.d/f", new byte[1], 0644).file(".wh.d/.wh..wh.opq", new byte[0], 0644)
                .file(".wh.d/.wh.g", new byte[0], 0644)
                .dir(".prefetch.landmark/", 0755).file(".prefetch.landmark/f", new byte[1], 0644)
                .file("x/kept", "k".getBytes(StandardCharsets.UTF_8), 0644);
        InodeTable table = table(source);
        assertEquals(List.of("d", "x"), table.children(table.root()).stream().map(InodeTable.DirEntry::name).toList());
        assertEquals(Inode.S_IFCHR, table.lookup("d").mode() & Inode.S_IFMT, "the whiteout of d, nothing under it");
        assertEquals(List.of("kept"), table.children(table.lookup("x")).stream().map(InodeTable.DirEntry::name)
                .toList());
        assertEquals(4, table.inodeCount(), "root, x, x/kept and the whiteout d");
    }

    private static long distinctInodes(InodeTable table) {
        return java.util.stream.Stream.of("", "d", "d/gone", "d/both", "f").map(table::lookup)
                .mapToLong(Inode::ino).distinct().count();
    }

    static InodeTable table(SourceLayer source) throws Exception {
        return InodeTable.of(layer(source).toc());
    }

    static EstargzLayer layer(SourceLayer source) throws Exception {
        SourceLayer.Blob blob = source.estargz(1 << 16);
        return EstargzLayer.open(new RecordingBlob(blob.bytes()), blob.annotations());
    }
}
