package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RoundTripTest {

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of(LayerFormat.ESTARGZ, 64 * 1024, 0, List.of()),
                Arguments.of(LayerFormat.ESTARGZ, 4096, 0, List.of("bin/small", "./bin/link-to-many", "missing")),
                Arguments.of(LayerFormat.ESTARGZ, 10_000, 30_000, List.of()),
                Arguments.of(LayerFormat.ZSTD_CHUNKED, 64 * 1024, 0, List.of()),
                Arguments.of(LayerFormat.ZSTD_CHUNKED, 5000, 12_000, List.of("etc/caps")));
    }

    @ParameterizedTest(name = "{0} chunk={1} min={2} prioritized={3}")
    @MethodSource("variants")
    void everyEntryAndByteSurvivesConversion(LayerFormat format, int chunkSize, int minChunk, List<String> prio)
            throws Exception {
        SourceTree tree = SourceTree.standard(chunkSize);
        LayerConverter converter = LayerConverter.builder().format(format).chunkSize(chunkSize)
                .minChunkSize(minChunk).prioritizedFiles(prio).build();
        Layers.Converted c = Layers.convert(converter, tree.tarGz());

        assertEquals(Digests.sha256(c.blob()), c.result().blobDigest());
        assertEquals(c.blob().length, c.result().blobSize());
        byte[] tar = Layers.decompress(format, c.blob());
        assertEquals(Digests.sha256(tar), c.result().diffId(), "diffID is the digest of the uncompressed stream");
        assertEquals(Long.toString(tar.length), c.result().annotations().get(LayerAnnotations.UNCOMPRESSED_SIZE));

        RecordingBlob blob = new RecordingBlob(c.blob());
        EstargzLayer layer = EstargzLayer.open(blob, c.result().annotations());
        assertTrue(layer.tocVerified());
        assertEquals(format, layer.format());
        assertEquals(c.result().tocDigest(), layer.toc().digest());
        Toc toc = layer.toc();
        for (SourceTree.Expected e : tree.entries) {
            TocEntry entry = toc.entry(e.path()).orElseThrow(() -> new AssertionError("missing " + e.path()));
            assertEntry(e, entry);
            if (e.type() == EntryType.REG || e.type() == EntryType.HARDLINK) {
                byte[] expected = e.type() == EntryType.REG ? e.content()
                        : tree.entries.stream().filter(x -> x.path().equals(e.linkName())).findFirst().orElseThrow()
                        .content();
                assertArrayEquals(expected, Layers.readAll(layer, entry), e.path());
            }
        }
        assertLinksAndChildren(toc);
        assertPrefetch(toc, prio, c.blob().length);

        List<String> names = Layers.names(tar);
        List<String> sourceNames = Layers.names(tree.tar());
        assertTrue(names.containsAll(sourceNames), "uncompressed output lists the whole source tree");
        assertEquals(EstargzLayer.TOC_TAR_NAME, format == LayerFormat.ESTARGZ ? names.get(names.size() - 1)
                : EstargzLayer.TOC_TAR_NAME);
    }

    private static void assertEntry(SourceTree.Expected e, TocEntry entry) {
        assertEquals(e.type(), entry.type(), e.path());
        assertEquals(e.mode(), entry.mode(), e.path());
        assertEquals(e.uid(), entry.uid(), e.path());
        assertEquals(e.gid(), entry.gid(), e.path());
        assertEquals(e.modTime(), entry.modTime(), e.path());
        if (e.type() != EntryType.DIR) {
            assertEquals(e.linkName(), entry.linkName(), e.path());
        }
        if (e.type() == EntryType.REG) {
            assertEquals(e.content().length, entry.size(), e.path());
            assertEquals(EntryType.REG.formatBits() | e.mode(), entry.fileMode());
        }
        if (e.type() == EntryType.CHAR || e.type() == EntryType.BLOCK) {
            assertEquals(e.devMajor(), entry.devMajor(), e.path());
            assertEquals(e.devMinor(), entry.devMinor(), e.path());
        }
        assertEquals(e.xattrs().keySet(), entry.xattrNames(), e.path());
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            assertArrayEquals(x.getValue(), entry.xattr(x.getKey()), e.path() + " " + x.getKey());
        }
    }

    private static void assertLinksAndChildren(Toc toc) {
        // Found through each directory's sorted children: spelled any way, and nothing that is not there.
        assertSame(toc.entry("bin/small").orElseThrow(), toc.entry("/./bin/small/").orElseThrow());
        assertSame(toc.root(), toc.entry("/").orElseThrow());
        assertSame(toc.entry("bin").orElseThrow(), toc.entry("bin/").orElseThrow());
        for (String missing : List.of("bin/smal", "bin/small0", "bin/small/x", "nope/small", "BIN/small")) {
            assertTrue(toc.entry(missing).isEmpty(), missing);
        }
        TocEntry many = toc.entry("bin/many-chunks").orElseThrow();
        assertEquals(3, many.numLink(), "file + two hardlinks");
        TocEntry link = toc.entry("bin/link-to-many").orElseThrow();
        assertEquals(many, toc.resolve(link));
        assertEquals(3, link.numLink());
        assertEquals(2, toc.entry("bin/small").orElseThrow().numLink());
        assertEquals(4, many.chunks().size(), "3 full chunks and a partial one");
        assertEquals(1, toc.entry("bin/one-chunk").orElseThrow().chunks().size());
        assertEquals(2, toc.entry("bin/chunk-and-a-byte").orElseThrow().chunks().size());
        assertEquals("owned".equals(toc.entry("owned").orElseThrow().name()), true);
        assertEquals("\u00fcser-with-non-ascii-name", toc.entry("owned").orElseThrow().userName());
        List<String> children = new ArrayList<>();
        toc.children(toc.entry("bin").orElseThrow()).forEach(c -> children.add(c.name()));
        List<String> sorted = new ArrayList<>(children);
        sorted.sort(null);
        assertEquals(sorted, children, "children come in name order");
        assertTrue(children.contains("sh"));
        // root: "", dirs bin, dev, etc, opaque, unicode, long dir => 2 + 6 subdirectories
        assertEquals(2 + 6, toc.root().numLink());
        assertEquals(EntryType.DIR.formatBits() | 01777, toc.entry("etc").orElseThrow().fileMode());
    }

    private static void assertPrefetch(Toc toc, List<String> prio, int blobSize) {
        if (prio.isEmpty()) {
            assertTrue(toc.entry(Toc.NO_PREFETCH_LANDMARK).isPresent());
            assertFalse(toc.prefetchRange().isPresent());
            return;
        }
        ByteRange range = toc.prefetchRange().orElseThrow();
        assertTrue(range.length() > 0 && range.end() < blobSize);
        for (String p : prio) {
            toc.entry(p).map(toc::resolve).ifPresent(f -> f.chunks().forEach(ch ->
                    assertTrue(ch.memberEnd() <= range.end(), p + " lies inside the prefetch range")));
        }
        TocEntry notPrioritized = toc.entry("zeros").orElseThrow();
        assertTrue(notPrioritized.chunks().get(0).memberOffset() >= range.end());
    }

    @ParameterizedTest
    @MethodSource("formats")
    void readingARangeTouchesOnlyTheMembersHoldingIt(LayerFormat format) throws Exception {
        int chunkSize = 8192;
        SourceTree tree = SourceTree.standard(chunkSize);
        Layers.Converted c = Layers.convert(LayerConverter.builder().format(format).chunkSize(chunkSize).build(),
                tree.tar());
        RecordingBlob blob = new RecordingBlob(c.blob());
        EstargzLayer layer = EstargzLayer.open(blob);
        assertEquals(1, blob.reads.size(), "a small TOC is read with the footer in one request");
        TocEntry file = layer.toc().entry("bin/many-chunks").orElseThrow();
        byte[] content = tree.entries.stream().filter(e -> e.path().equals("bin/many-chunks")).findFirst()
                .orElseThrow().content();
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            long off = random.nextInt(content.length + 10);
            int len = random.nextInt(3 * chunkSize);
            blob.reads.clear();
            byte[] dst = new byte[len];
            int n = layer.read(file, off, dst, 0, len);
            int expected = (int) Math.max(0, Math.min(len, content.length - off));
            if (off >= content.length) {
                assertEquals(len == 0 ? 0 : -1, n);
                assertTrue(blob.reads.isEmpty());
                continue;
            }
            assertEquals(expected, n);
            for (int k = 0; k < n; k++) {
                if (dst[k] != content[(int) off + k]) {
                    throw new AssertionError("byte " + (off + k) + " differs");
                }
            }
            List<Chunk> covering = file.chunksCovering(off, len);
            assertEquals(covering.size(), blob.reads.size());
            for (int k = 0; k < covering.size(); k++) {
                assertEquals(covering.get(k).memberRange(), blob.reads.get(k), "only the chunk's own member is read");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("formats")
    void aTocLargerThanTheTailGuessTakesExactlyOneMoreRead(LayerFormat format) throws Exception {
        SourceTree tree = new SourceTree();
        for (int i = 0; i < 3000; i++) {
            tree.file("files/f" + i, ("content " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), 0644);
        }
        Layers.Converted c = Layers.convert(LayerConverter.builder().format(format).build(), tree.tar());
        RecordingBlob blob = new RecordingBlob(c.blob());
        int tailGuess = 4096;
        Map<String, String> unpositioned = new HashMap<>(c.result().annotations());
        unpositioned.remove(LayerAnnotations.ZSTD_MANIFEST_POSITION);
        unpositioned.remove(LayerAnnotations.ZSTD_MANIFEST_POSITION_CONTAINERS);
        EstargzLayer layer = EstargzLayer.open(blob, unpositioned,
                new TocReader(tailGuess, TocReader.DEFAULT_MAX_COMPRESSED, TocReader.DEFAULT_MAX_JSON));
        assertEquals(3000 + 3, layer.toc().entries().size(), "files, their directory, the root and the landmark");
        assertEquals(2, blob.reads.size());
        assertEquals(new ByteRange(c.blob().length - tailGuess, tailGuess), blob.reads.get(0));
        assertEquals(c.blob().length - tailGuess, blob.reads.get(1).end(), "the second read ends where the tail began");
        assertArrayEquals("content 2999".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Layers.readAll(layer, layer.toc().entry("files/f2999").orElseThrow()));
    }

    @ParameterizedTest
    @MethodSource("formats")
    void anUnpositionedTocCostsAtMostTheGuessInFileData(LayerFormat format) throws Exception {
        for (int files : new int[] {20, 3000}) {
            SourceTree tree = new SourceTree();
            for (int i = 0; i < files; i++) {
                tree.file("files/f" + i, ("content " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), 0644);
            }
            Layers.Converted c = Layers.convert(LayerConverter.builder().format(format).build(), tree.tar());
            Map<String, String> unpositioned = new HashMap<>(c.result().annotations());
            unpositioned.remove(LayerAnnotations.ZSTD_MANIFEST_POSITION);
            unpositioned.remove(LayerAnnotations.ZSTD_MANIFEST_POSITION_CONTAINERS);
            RecordingBlob blob = new RecordingBlob(c.blob());
            EstargzLayer layer = EstargzLayer.open(blob, unpositioned);
            assertEquals(files + 3, layer.toc().entries().size());
            long tocStart = layer.toc().entries().stream().flatMap(e -> e.chunks().stream())
                    .mapToLong(Chunk::memberEnd).max().orElseThrow();
            long firstByteRead = blob.reads.stream().mapToLong(ByteRange::offset).min().orElseThrow();
            long fileData = Math.max(0, tocStart - firstByteRead);
            if (c.blob().length - tocStart <= TocReader.DEFAULT_TAIL_GUESS) {
                assertEquals(1, blob.reads.size(), files + " files: a small TOC comes with the footer");
                assertTrue(fileData < TocReader.DEFAULT_TAIL_GUESS, fileData + " bytes of file data");
            } else {
                assertEquals(2, blob.reads.size(), files + " files: the tail, then the rest of the TOC");
                assertEquals(0, fileData, files + " files: no file data read with a large TOC");
            }
        }
    }

    @Test
    void anAnnotatedZstdChunkedTocIsReadWithTheFooterInOneRequestOfExactlyTheirBytes() throws Exception {
        SourceTree tree = new SourceTree();
        for (int i = 0; i < 3000; i++) {
            tree.file("files/f" + i, ("content " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), 0644);
        }
        Layers.Converted c = Layers.convert(LayerConverter.builder().format(LayerFormat.ZSTD_CHUNKED).build(),
                tree.tar());
        String position = c.result().annotations().get(LayerAnnotations.ZSTD_MANIFEST_POSITION);
        long tocOffset = Long.parseLong(position.substring(0, position.indexOf(':')));
        RecordingBlob blob = new RecordingBlob(c.blob());
        EstargzLayer layer = EstargzLayer.open(blob, c.result().annotations(),
                new TocReader(4096, TocReader.DEFAULT_MAX_COMPRESSED, TocReader.DEFAULT_MAX_JSON));
        assertTrue(layer.tocVerified());
        assertEquals(List.of(new ByteRange(tocOffset, c.blob().length - tocOffset)), blob.reads,
                "one read from the annotated TOC offset to the end, although the TOC is larger than the guess");
        assertArrayEquals("content 2999".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Layers.readAll(layer, layer.toc().entry("files/f2999").orElseThrow()));
    }

    @Test
    void aWrongTocPositionAnnotationIsRefusedAfterTheRead() throws Exception {
        SourceTree tree = new SourceTree();
        tree.file("a", new byte[] {1}, 0644);
        Layers.Converted c = Layers.convert(LayerConverter.builder().format(LayerFormat.ZSTD_CHUNKED).build(),
                tree.tar());
        Map<String, String> wrong = new HashMap<>(c.result().annotations());
        wrong.put(LayerAnnotations.ZSTD_MANIFEST_POSITION, "100:5:5:1");
        assertThrows(DigestMismatchException.class, () -> EstargzLayer.open(new RecordingBlob(c.blob()), wrong));
    }

    @Test
    void aLayerWithNoneOfThePrioritisedFilesSaysSoWithTheNoPrefetchLandmark() throws Exception {
        SourceTree tree = new SourceTree();
        tree.file("data/a", new byte[] {1, 2, 3}, 0644);
        Layers.Converted c = Layers.convert(LayerConverter.builder().prioritizedFiles(List.of("bin/sh")).build(),
                tree.tar());
        Toc toc = EstargzLayer.open(new RecordingBlob(c.blob()), c.result().annotations()).toc();
        assertTrue(toc.entry(Toc.NO_PREFETCH_LANDMARK).isPresent());
        assertFalse(toc.entry(Toc.PREFETCH_LANDMARK).isPresent());
        assertFalse(toc.prefetchRange().isPresent());
    }

    static Stream<LayerFormat> formats() {
        return Stream.of(LayerFormat.values());
    }
}
