package io.lazysnap.estargz;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Finds, fetches and decompresses a layer's TOC with at most two reads of the blob: its tail, then exactly the part
 * of the TOC the tail missed. The tail starts where a zstd:chunked manifest-position annotation puts the TOC (one
 * read, exactly the TOC and footer), otherwise at a guess. 4 KiB holds the compressed TOC of a small layer (a base
 * layer of a few hundred entries, often the one a container's first Prepare waits for) in one round trip, and a
 * larger TOC costs a second read but no byte of file data: what a guess reads before the TOC is file data the
 * container seldom wants, and the former 64 KiB guess fetched 3 % more than stargz-snapshotter before the bench's
 * first line (issue 12).
 */
final class TocReader {

    static final int DEFAULT_TAIL_GUESS = 4096;
    /** Largest compressed TOC fetched (a 100,000-file layer compresses to a few MiB). */
    static final long DEFAULT_MAX_COMPRESSED = 128L << 20;
    /** Largest uncompressed TOC JSON accepted, whatever the heap. */
    static final long DEFAULT_MAX_JSON = 512L << 20;

    /**
     * What was read.
     *
     * @param json             the uncompressed TOC JSON
     * @param compressedDigest sha256 of the compressed TOC bytes (the zstd:chunked manifest checksum)
     */
    record Result(Footer footer, byte[] json, String compressedDigest) {
    }

    private final int tailGuess;
    private final long maxCompressed;
    private final long maxJson;

    /** Bounded by the heap (see {@link #heapBoundJson}): for layers this JVM has not accepted before. */
    TocReader() {
        this(DEFAULT_TAIL_GUESS, Math.min(DEFAULT_MAX_COMPRESSED, heapBoundJson()), heapBoundJson());
    }

    /** Bounded only by the fixed limits: for a layer accepted before, which must open again after a restart. */
    static TocReader unbounded() {
        return new TocReader(DEFAULT_TAIL_GUESS, DEFAULT_MAX_COMPRESSED, DEFAULT_MAX_JSON);
    }

    /**
     * The largest TOC JSON this JVM opens, and the largest compressed TOC it fetches (compressed JSON is smaller
     * than the JSON): a tenth of its maximum heap. Opening one takes about five times its size
     * (measured: 30 MB of heap for 5.8 MB of JSON, 25,000 entries). With the daemon's options (64 MiB of heap), the
     * TOC of a 50,000-file layer ran the JVM out of memory, which ends the daemon; now that layer is refused.
     */
    static long heapBoundJson() {
        return Math.min(DEFAULT_MAX_JSON, Runtime.getRuntime().maxMemory() / 10);
    }

    TocReader(int tailGuess, long maxCompressed, long maxJson) {
        this.tailGuess = Math.max(tailGuess, Footer.MAX_SIZE);
        this.maxCompressed = maxCompressed;
        this.maxJson = maxJson;
    }

    Result read(BlobSource blob) throws IOException {
        return read(blob, Map.of());
    }

    /** @param annotations the layer descriptor's, which may say where the TOC starts */
    Result read(BlobSource blob, Map<String, String> annotations) throws IOException {
        long size = blob.size();
        if (size < Footer.LEGACY_SIZE) {
            throw new LayerFormatException("blob of " + size + " bytes is too small to hold a footer");
        }
        int tailLength = (int) Math.min(size, annotatedTail(annotations, size).orElse(tailGuess));
        long tailStart = size - tailLength;
        byte[] tail = fetch(blob, tailStart, tailLength);
        Footer footer = Footer.parse(tail, size);
        if (footer.tocLength() > maxCompressed) {
            throw tooLarge("compressed TOC", footer.tocLength(), maxCompressed, DEFAULT_MAX_COMPRESSED);
        }
        byte[] compressed = new byte[(int) footer.tocLength()];
        long tocEnd = footer.tocOffset() + footer.tocLength();
        if (footer.tocOffset() >= tailStart) {
            System.arraycopy(tail, (int) (footer.tocOffset() - tailStart), compressed, 0, compressed.length);
        } else {
            int missing = (int) (Math.min(tailStart, tocEnd) - footer.tocOffset());
            byte[] head = fetch(blob, footer.tocOffset(), missing);
            System.arraycopy(head, 0, compressed, 0, missing);
            if (tocEnd > tailStart) {
                System.arraycopy(tail, 0, compressed, missing, (int) (tocEnd - tailStart));
            }
        }
        byte[] json = footer.format() == LayerFormat.ESTARGZ ? gzipToc(compressed) : zstdToc(compressed, footer);
        return new Result(footer, json, Digests.sha256(compressed));
    }

    /**
     * The length from the annotated TOC offset to the end of the blob, if an annotation gives a plausible one. Only a
     * hint: the footer decides, and the TOC is verified against the annotations afterwards.
     */
    private OptionalInt annotatedTail(Map<String, String> annotations, long size) {
        for (String key : new String[] {LayerAnnotations.ZSTD_MANIFEST_POSITION,
                LayerAnnotations.ZSTD_MANIFEST_POSITION_CONTAINERS}) {
            String position = annotations.get(key);
            if (position == null) {
                continue;
            }
            try {
                long offset = Long.parseLong(position.substring(0, position.indexOf(':')));
                long tail = size - offset;
                if (offset >= 0 && tail >= Footer.MAX_SIZE && tail <= maxCompressed + Footer.MAX_SIZE) {
                    return OptionalInt.of((int) tail);
                }
            } catch (NumberFormatException | IndexOutOfBoundsException ignored) {
                // A malformed position is refused by the verification after the read; the guess serves here.
            }
        }
        return OptionalInt.empty();
    }

    private static byte[] fetch(BlobSource blob, long offset, int length) throws IOException {
        byte[] data;
        try {
            data = blob.read(offset, length);
        } catch (EOFException e) {
            throw new LayerFormatException("blob is shorter than it claims: " + e.getMessage(), e);
        }
        if (data.length != length) {
            throw new LayerFormatException("blob source returned " + data.length + " bytes for a read of " + length);
        }
        return data;
    }

    /** Over a limit: one below the fixed limit is the heap's, and says what to do; the fixed one stops bombs. */
    private static LayerFormatException tooLarge(String what, long bytes, long limit, long fixedLimit) {
        return limit < fixedLimit ? new TocTooLargeException(what, bytes, limit)
                : new LayerFormatException(String.format(Locale.ROOT, "%s of %d bytes exceeds the limit of %d", what,
                        bytes, limit));
    }

    /** eStargz: the TOC member holds a tar entry {@code stargz.index.json} followed by the end of archive. */
    private byte[] gzipToc(byte[] member) throws IOException {
        try (InputStream in = Decompression.open(LayerFormat.ESTARGZ, new ByteArrayInputStream(member))) {
            TarReader tar = new TarReader(in);
            TarHeader header = tar.next();
            if (header == null || !header.name().equals(EstargzLayer.TOC_TAR_NAME)
                    || header.type() != EntryType.REG) {
                throw new LayerFormatException("TOC member does not start with a regular "
                        + EstargzLayer.TOC_TAR_NAME + " entry"
                        + (header == null ? "" : " (found " + EntryPaths.quote(header.name()) + ")"));
            }
            if (header.size() > maxJson) {
                throw tooLarge("TOC JSON", header.size(), maxJson, DEFAULT_MAX_JSON);
            }
            byte[] json = tar.payload().readNBytes((int) header.size());
            if (json.length != header.size()) {
                throw new LayerFormatException("TOC JSON truncated");
            }
            return json;
        } catch (LayerFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new LayerFormatException("cannot decompress the TOC: " + e.getMessage(), e);
        }
    }

    /** zstd:chunked: the TOC is one zstd frame whose uncompressed length the footer states. */
    private byte[] zstdToc(byte[] frame, Footer footer) throws LayerFormatException {
        if (footer.tocRawLength() <= 0) {
            throw new LayerFormatException("the footer gives the TOC JSON a length of " + footer.tocRawLength()
                    + " bytes; it must be positive");
        }
        if (footer.tocRawLength() > maxJson) {
            throw tooLarge("TOC JSON", footer.tocRawLength(), maxJson, DEFAULT_MAX_JSON);
        }
        byte[] json = Decompression.decode(LayerFormat.ZSTD_CHUNKED, frame, 0, frame.length, 0,
                (int) footer.tocRawLength(), "the TOC");
        return json;
    }
}
