package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every kind of bad input gets a specific exception naming the problem, and nothing is read out of bounds. */
class MalformedLayerTest {

    private static byte[] valid;

    @BeforeAll
    static void convert() throws IOException {
        valid = Layers.convert(LayerConverter.builder().chunkSize(4096).build(), SourceTree.standard(4096).tar()).blob();
    }

    private static <T extends Throwable> T fails(Class<T> type, byte[] blob, String messagePart) {
        T e = assertThrows(type, () -> readEverything(new RecordingBlob(blob), Map.of()));
        assertTrue(e.getMessage().contains(messagePart), () -> "message \"" + e.getMessage() + "\" lacks " + messagePart);
        return e;
    }

    private static void readEverything(BlobSource blob, Map<String, String> annotations) throws IOException {
        EstargzLayer layer = EstargzLayer.open(blob, annotations);
        for (TocEntry e : layer.toc().entries()) {
            if (layer.toc().resolve(e).type() == EntryType.REG) {
                Layers.readAll(layer, e);
            }
        }
    }

    private static byte[] edit(Consumer<ArrayNode> edit) throws IOException {
        return Crafted.editEntries(valid, edit);
    }

    @Test
    void truncatedBlobHasNoFooter() {
        fails(LayerFormatException.class, Arrays.copyOf(valid, valid.length - 20), "footer");
        fails(LayerFormatException.class, Arrays.copyOf(valid, 30), "too small");
        fails(LayerFormatException.class, new byte[100], "footer");
    }

    @Test
    void footerPointingOutsideTheBlob() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(valid, 0, 1000);
        out.write(Footer.estargz(5000));
        fails(LayerFormatException.class, out.toByteArray(), "outside the blob");
    }

    @Test
    void footerPointingAtGarbage() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[1000]);
        out.write(Footer.estargz(10));
        fails(LayerFormatException.class, out.toByteArray(), "TOC");
    }

    @Test
    void blobShorterThanItsSizeClaims() {
        BlobSource lying = new BlobSource() {
            @Override
            public long size() {
                return valid.length + 100;
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                throw new EOFException("range not satisfiable");
            }
        };
        assertThrows(LayerFormatException.class, () -> EstargzLayer.open(lying));
    }

    @Test
    void tocThatIsNotJson() throws IOException {
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("{\"version\":1,\"entries\":[{")),
                "not valid JSON");
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("\u0000\u0001binary")), "not valid JSON");
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("{\"version\":2,\"entries\":[]}")),
                "version 2");
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("{\"version\":1}")), "entries");
        fails(LayerFormatException.class, Crafted.withToc(valid,
                Crafted.utf8("{\"version\":1,\"entries\":[{\"name\":\"a\",\"type\":\"reg\",\"size\":\"big\"}]}")),
                "not valid JSON");
        // Entries are parsed one at a time: a version after them, or entries that are not an array, still fail.
        fails(LayerFormatException.class, Crafted.withToc(valid,
                Crafted.utf8("{\"entries\":[{\"name\":\"d\",\"type\":\"dir\"}],\"version\":2}")), "version 2");
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("{\"version\":1,\"entries\":{}}")),
                "not valid JSON");
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("[{\"version\":1}]")), "not valid JSON");
        fails(LayerFormatException.class, Crafted.withToc(valid, Crafted.utf8("{\"version\":1,\"entries\":[null]}")),
                "null entry");
    }

    @Test
    void fieldsOfTheTocOtherThanVersionAndEntriesAreIgnored() throws IOException {
        byte[] blob = Crafted.withToc(valid, Crafted.utf8("{\"version\":1,\"producer\":{\"name\":\"x\",\"v\":[1,2]},"
                + "\"entries\":[{\"name\":\"d\",\"type\":\"dir\",\"mode\":493}]}"));
        EstargzLayer layer = EstargzLayer.open(new RecordingBlob(blob));
        assertEquals(List.of("", "d"), layer.toc().entries().stream().map(TocEntry::path).toList());
    }

    @Test
    void giganticTocIsRefusedBeforeItIsInflated() throws IOException {
        // 64 MiB of JSON whitespace compresses to ~64 KiB: a decompression bomb aimed at the TOC.
        byte[] bomb = new byte[64 << 20];
        Arrays.fill(bomb, (byte) ' ');
        byte[] blob = Crafted.withToc(valid, bomb);
        TocReader small = new TocReader(TocReader.DEFAULT_TAIL_GUESS, TocReader.DEFAULT_MAX_COMPRESSED, 1 << 20);
        LayerFormatException e = assertThrows(TocTooLargeException.class,
                () -> EstargzLayer.open(new RecordingBlob(blob), Map.of(), small));
        assertTrue(e.getMessage().contains("TOC JSON of " + bomb.length + " bytes is more than this JVM can open"),
                e.getMessage());
        assertTrue(e.getMessage().contains("-Xmx"), "says what to do: " + e.getMessage());
        TocReader tiny = new TocReader(1024, 1024, 1 << 20);
        e = assertThrows(LayerFormatException.class, () -> EstargzLayer.open(new RecordingBlob(blob), Map.of(), tiny));
        assertTrue(e.getMessage().contains("compressed TOC"), e.getMessage());
    }

    @Test
    void unsafeOrDuplicateNames() throws IOException {
        fails(LayerFormatException.class, edit(es -> ((ObjectNode) es.get(3)).put("name", "../escape")), "escapes");
        fails(LayerFormatException.class, edit(es -> ((ObjectNode) es.get(3)).put("name", "bin/../../x")), "escapes");
        fails(LayerFormatException.class, edit(es -> ((ObjectNode) es.get(3)).put("name", "/etc/passwd")), "absolute");
        fails(LayerFormatException.class, edit(es -> es.add(es.get(3).deepCopy())), "duplicate");
        fails(LayerFormatException.class, edit(es -> ((ObjectNode) es.get(3)).put("type", "socket")), "unknown type");
        fails(LayerFormatException.class, edit(es -> {
            ObjectNode child = Crafted.JSON.createObjectNode().put("name", "bin/small/child").put("type", "reg");
            es.add(child);
        }), "not a directory");
    }

    @Test
    void overlappingOutOfOrderOrOutOfRangeChunks() throws IOException {
        fails(LayerFormatException.class, edit(es -> chunk(es, 1).put("chunkOffset", 100)), "overlap");
        fails(LayerFormatException.class, edit(es -> {
            int first = index(es, "./bin/many-chunks", "chunk");
            var a = es.get(first);
            es.set(first, es.get(first + 1));
            es.set(first + 1, a);
        }), "out of order");
        fails(LayerFormatException.class, edit(es -> chunk(es, 1).put("offset", valid.length)), "outside the data area");
        fails(LayerFormatException.class, edit(es -> chunk(es, 1).put("offset", -5)), "outside the data area");
        fails(LayerFormatException.class, edit(es -> Crafted.find(es, "./bin/many-chunks", "reg").put("size", 5000)),
                "invalid size");
        fails(LayerFormatException.class, edit(es -> chunk(es, 3).put("chunkSize", 10)), "cover");
        fails(LayerFormatException.class, edit(es -> {
            ObjectNode orphan = Crafted.JSON.createObjectNode().put("name", "./bin/nothing").put("type", "chunk");
            es.add(orphan);
        }), "does not follow");
    }

    @Test
    void chunkDigestMismatchIsDetectedOnRead() throws IOException {
        byte[] blob = edit(es -> chunk(es, 2).put("chunkDigest", "sha256:" + "0".repeat(64)));
        EstargzLayer layer = EstargzLayer.open(new RecordingBlob(blob));
        TocEntry file = layer.toc().entry("bin/many-chunks").orElseThrow();
        assertEquals(4096, layer.read(file, 0, new byte[4096], 0, 4096), "other chunks still read");
        DigestMismatchException e = assertThrows(DigestMismatchException.class,
                () -> layer.read(file, 2 * 4096, new byte[10], 0, 10));
        assertTrue(e.getMessage().contains("TOC says sha256:000"), e.getMessage());
    }

    @Test
    void corruptMemberBytesAreDetected() throws IOException {
        EstargzLayer layer = EstargzLayer.open(new RecordingBlob(valid));
        Chunk chunk = layer.toc().entry("bin/many-chunks").orElseThrow().chunks().get(1);
        byte[] member = new RecordingBlob(valid).read(chunk.memberOffset(), (int) chunk.memberRange().length());
        member[member.length / 2] ^= 0x55;
        assertThrows(IOException.class, () -> layer.decodeChunk(chunk, member));
        byte[] truncated = Arrays.copyOf(member, 20);
        assertThrows(LayerFormatException.class, () -> layer.decodeChunk(chunk, truncated));
    }

    @Test
    void missingChunkDigestIsRefusedOnlyWhenTheTocIsVerified() throws IOException {
        byte[] blob = edit(es -> chunk(es, 1).remove("chunkDigest"));
        EstargzLayer unverified = EstargzLayer.open(new RecordingBlob(blob));
        TocEntry file = unverified.toc().entry("bin/many-chunks").orElseThrow();
        assertEquals(10, unverified.read(file, 4096, new byte[10], 0, 10));
        String digest = unverified.toc().digest();
        EstargzLayer verified = EstargzLayer.open(new RecordingBlob(blob), Map.of(LayerAnnotations.TOC_DIGEST, digest));
        assertThrows(DigestMismatchException.class, () -> verified.read(file, 4096, new byte[10], 0, 10));
    }

    @Test
    void hardlinksToMissingTargetsOrDirectories() throws IOException {
        fails(LayerFormatException.class,
                edit(es -> Crafted.find(es, "./bin/link-to-small", "hardlink").put("linkName", "./bin/nope")),
                "missing");
        fails(LayerFormatException.class,
                edit(es -> Crafted.find(es, "./bin/link-to-small", "hardlink").put("linkName", "./bin/")),
                "directory");
        fails(LayerFormatException.class,
                edit(es -> Crafted.find(es, "./bin/link-to-small", "hardlink").put("linkName", "../x")), "escapes");
    }

    @Test
    void tocDigestAnnotationMismatch() {
        DigestMismatchException e = assertThrows(DigestMismatchException.class, () -> EstargzLayer.open(
                new RecordingBlob(valid), Map.of(LayerAnnotations.TOC_DIGEST, "sha256:" + "1".repeat(64))));
        assertTrue(e.getMessage().contains("TOC digest mismatch"), e.getMessage());
    }

    @Test
    void decompressionBombInAChunkCostsOnlyTheChunkSize() throws IOException {
        // A member that inflates to 256 MiB, while the TOC says the file is 16 bytes: only 16 are inflated.
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(member)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                gz.write(zeros);
            }
        }
        long tocOffset = member.size();
        String json = "{\"version\":1,\"entries\":[{\"name\":\"bomb\",\"type\":\"reg\",\"size\":16,\"offset\":0,"
                + "\"chunkDigest\":\"" + Digests.sha256(new byte[16]) + "\"}]}";
        member.write(Crafted.tocMember(Crafted.utf8(json)));
        member.write(Footer.estargz(tocOffset));
        EstargzLayer layer = EstargzLayer.open(new RecordingBlob(member.toByteArray()));
        long before = System.nanoTime();
        assertArrayEquals(new byte[16], Layers.readAll(layer, layer.toc().entry("bomb").orElseThrow()));
        assertTrue(System.nanoTime() - before < 2_000_000_000L);
    }

    @Test
    void zstdFooterWithWrongFrameOrType() throws IOException {
        byte[] zstd = Layers.convert(LayerConverter.builder().format(LayerFormat.ZSTD_CHUNKED).build(),
                SourceTree.standard(4096).tar()).blob();
        byte[] badLength = zstd.clone();
        badLength[badLength.length - 44] = 41;
        fails(LayerFormatException.class, badLength, "no skippable footer frame");
        byte[] badType = zstd.clone();
        badType[badType.length - 16] = 2;
        fails(LayerFormatException.class, badType, "manifest type 2");
        byte[] badOffset = zstd.clone();
        badOffset[badOffset.length - 34] = 0x7f;
        fails(LayerFormatException.class, badOffset, "outside the blob");
    }

    @Test
    void converterRefusesUnsafeInput() throws IOException {
        assertConverterRefuses("../evil", "escapes");
        assertConverterRefuses("/etc/shadow", "absolute");
        assertConverterRefuses("a/../../evil", "escapes");
    }

    @Test
    void converterRefusesDuplicatesAndDanglingHardlinks() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (int i = 0; i < 2; i++) {
                TarArchiveEntry e = new TarArchiveEntry("same");
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
        }
        LayerFormatException e = assertThrows(LayerFormatException.class, () -> LayerConverter.builder().build()
                .convert(new ByteArrayInputStream(out.toByteArray()), new ByteArrayOutputStream()));
        assertTrue(e.getMessage().contains("two entries"), e.getMessage());

        out.reset();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            TarArchiveEntry link = new TarArchiveEntry("link", TarArchiveEntry.LF_LINK);
            link.setLinkName("nowhere");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
        }
        e = assertThrows(LayerFormatException.class, () -> LayerConverter.builder().build()
                .convert(new ByteArrayInputStream(out.toByteArray()), new ByteArrayOutputStream()));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void converterRefusesTruncatedInput() throws IOException {
        byte[] tar = SourceTree.standard(4096).tar();
        assertThrows(EOFException.class, () -> LayerConverter.builder().build()
                .convert(new ByteArrayInputStream(Arrays.copyOf(tar, 5000)), new ByteArrayOutputStream()));
    }

    private static void assertConverterRefuses(String name, String messagePart) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(1);
            tar.putArchiveEntry(e);
            tar.write('x');
            tar.closeArchiveEntry();
        }
        for (LayerFormat format : LayerFormat.values()) {
            LayerFormatException e = assertThrows(LayerFormatException.class, () -> LayerConverter.builder()
                    .format(format).build().convert(new ByteArrayInputStream(out.toByteArray()),
                            new ByteArrayOutputStream()));
            assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        }
    }

    private static ObjectNode chunk(ArrayNode entries, int n) {
        return (ObjectNode) entries.get(index(entries, "./bin/many-chunks", "chunk") + n - 1);
    }

    private static int index(ArrayNode entries, String name, String type) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).get("name").asText().equals(name) && entries.get(i).get("type").asText().equals(type)) {
                return i;
            }
        }
        throw new AssertionError("no " + type + " " + name);
    }
}
