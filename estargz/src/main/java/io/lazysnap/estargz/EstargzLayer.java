package io.lazysnap.estargz;

import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An opened seekable layer (eStargz or zstd:chunked): its verified TOC, and verified, decompressed chunks read
 * lazily from a {@link BlobSource}. Thread-safe when the blob source is.
 *
 * <pre>{@code
 * EstargzLayer layer = EstargzLayer.open(blob, descriptor.annotations());
 * TocEntry file = layer.toc().entry("bin/sh").map(layer.toc()::resolve).orElseThrow();
 * for (Chunk c : file.chunksCovering(offset, length)) cache.put(c, layer.readChunk(c));
 * }</pre>
 */
public final class EstargzLayer {

    /** Name of the TOC's tar entry in an eStargz blob. */
    public static final String TOC_TAR_NAME = "stargz.index.json";
    /**
     * The bytes at a blob's end that {@link #open} reads first (where no annotation places the TOC): a caller that
     * fetches them ahead of the open, through its blob source, saves the open that round trip.
     */
    public static final int FIRST_READ = TocReader.DEFAULT_TAIL_GUESS;
    /** About what a TOC entry takes in stargz-snapshotter's JSON (238 and 252 bytes in the bench's images). */
    private static final int JSON_BYTES_PER_ENTRY = 256;
    /** Largest chunk this reader materialises in one array. */
    static final int MAX_CHUNK_BYTES = 512 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EstargzLayer.class);

    private final BlobSource blob;
    private final LayerFormat format;
    private final Toc toc;
    private final boolean tocVerified;
    private final ChunkDecoder decoder;

    private EstargzLayer(BlobSource blob, LayerFormat format, Toc toc, boolean tocVerified) {
        this.blob = blob;
        this.format = format;
        this.toc = toc;
        this.tocVerified = tocVerified;
        this.decoder = new ChunkDecoder(format, tocVerified);
    }

    /** Opens a layer without a trusted TOC digest; {@link #tocVerified()} is false. */
    public static EstargzLayer open(BlobSource blob) throws IOException {
        return open(blob, Map.of());
    }

    /**
     * Opens a layer, checking its TOC against every digest annotation of the layer descriptor that is present:
     * {@link LayerAnnotations#TOC_DIGEST} (uncompressed JSON) and, for zstd:chunked, the manifest checksum and
     * position.
     *
     * @throws DigestMismatchException if a digest annotation does not match
     * @throws LayerFormatException    if the blob is not a well-formed seekable layer
     */
    public static EstargzLayer open(BlobSource blob, Map<String, String> annotations) throws IOException {
        return open(blob, annotations, new TocReader());
    }

    /**
     * Opens a layer this node accepted before (after a restart, or to forget its chunks): like {@link #open}, but
     * its TOC is not refused for its size. A TOC the heap cannot hold is refused only when a layer is first opened,
     * and one accepted under a larger heap or an older version must still open.
     */
    public static EstargzLayer reopen(BlobSource blob, Map<String, String> annotations) throws IOException {
        return open(blob, annotations, TocReader.unbounded());
    }

    static EstargzLayer open(BlobSource blob, Map<String, String> annotations, TocReader reader) throws IOException {
        Objects.requireNonNull(blob, "blob");
        long start = System.nanoTime();
        TocReader.Result read = reader.read(blob, annotations);
        long fetched = System.nanoTime();
        Footer footer = read.footer();
        String jsonDigest = Digests.sha256(read.json());
        boolean verified = TocVerification.verify(annotations, footer, jsonDigest, read.compressedDigest());
        long parsed;
        Toc toc;
        try (TocParsing.Permit parsing = TocParsing.acquire(read.json().length)) {
            TocBuilder builder = new TocBuilder(footer.dataEnd(), read.json().length / JSON_BYTES_PER_ENTRY);
            TocJson.parse(read.json(), builder::add);
            parsed = System.nanoTime();
            toc = builder.build(jsonDigest);
        }
        LOG.debug("opened {} layer: {} entries, TOC {} bytes at {}, verified={}; read {} ms, parsed {} ms, built {} ms",
                footer.format(), toc.entries().size(), read.json().length, footer.tocOffset(), verified,
                (fetched - start) / 1_000_000, (parsed - fetched) / 1_000_000, (System.nanoTime() - parsed) / 1_000_000);
        return new EstargzLayer(blob, footer.format(), toc, verified);
    }

    public Toc toc() {
        return toc;
    }

    public LayerFormat format() {
        return format;
    }

    /** Whether the TOC matched a digest annotation; if so, chunks without a digest are refused. */
    public boolean tocVerified() {
        return tocVerified;
    }

    /** See {@link Toc#prefetchRange()}. */
    public Optional<ByteRange> prefetchRange() {
        return toc.prefetchRange();
    }

    /** Fetches the chunk's member from the blob, then {@link #decodeChunk decodes} it. */
    public byte[] readChunk(Chunk chunk) throws IOException {
        ByteRange range = chunk.memberRange();
        if (range.length() > MAX_CHUNK_BYTES) {
            throw new LayerFormatException("compressed member of " + range.length() + " bytes exceeds "
                    + MAX_CHUNK_BYTES);
        }
        byte[] member;
        try {
            member = blob.read(range.offset(), (int) range.length());
        } catch (EOFException e) {
            throw new LayerFormatException("blob is truncated: member " + range + " is past its end", e);
        }
        return decodeChunk(chunk, member);
    }

    /**
     * Decompresses and verifies a chunk from its member bytes, {@code [memberOffset, memberEnd)} of the blob,
     * for callers that fetched them themselves (e.g. within one prefetch request).
     *
     * @throws DigestMismatchException if the bytes do not hash to the chunk digest
     */
    public byte[] decodeChunk(Chunk chunk, byte[] member) throws IOException {
        return decodeChunk(chunk, member, 0, member.length);
    }

    /**
     * As {@link #decodeChunk(Chunk, byte[])}, with the member at {@code [offset, offset + length)} of {@code span}
     * (a request that fetched several members at once).
     */
    public byte[] decodeChunk(Chunk chunk, byte[] span, int offset, int length) throws IOException {
        return decoder.decode(chunk, span, offset, length);
    }

    /** What decodes this layer's chunks, without holding its TOC. */
    public ChunkDecoder chunkDecoder() {
        return decoder;
    }

    /**
     * Reads up to {@code length} bytes of a regular file from {@code offset}, fetching only the chunks that hold
     * them. Returns the number of bytes read, -1 at or past the end of the file.
     */
    public int read(TocEntry file, long offset, byte[] dst, int dstOffset, int length) throws IOException {
        TocEntry target = toc.resolve(file);
        if (target.type() != EntryType.REG) {
            throw new IllegalArgumentException(file + " is not a regular file");
        }
        if (offset >= target.size()) {
            return length == 0 ? 0 : -1;
        }
        int copied = 0;
        for (Chunk chunk : target.chunksCovering(offset, length)) {
            byte[] data = readChunk(chunk);
            long from = Math.max(offset, chunk.fileOffset());
            int n = (int) (Math.min(offset + length, chunk.fileEnd()) - from);
            System.arraycopy(data, (int) (from - chunk.fileOffset()), dst, dstOffset + copied, n);
            copied += n;
        }
        return copied;
    }
}
