package io.lazysnap.estargz;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes tar entries as a seekable layer: each entry's header into the current member, each payload chunk at
 * the start of a fresh member (unless members are being packed up to a minimum size, in which case the chunk's
 * {@code innerOffset} locates it), then the TOC and the footer. Records the TOC entries as it goes.
 */
final class LayerWriter {

    private static final byte[] END_OF_ARCHIVE = new byte[2 * TarHeader.BLOCK];

    private final LayerFormat format;
    private final int chunkSize;
    private final int minChunkSize;
    private final int level;
    private final CountingOutputStream blob;
    private final MemberWriter members;
    private final List<JsonEntry> toc = new ArrayList<>();
    private final byte[] buffer = new byte[64 * 1024];

    LayerWriter(LayerFormat format, OutputStream out, int chunkSize, int minChunkSize, int level) {
        this.format = format;
        this.chunkSize = chunkSize;
        this.minChunkSize = minChunkSize;
        this.level = level;
        this.blob = new CountingOutputStream(out);
        this.members = MemberWriter.create(format, blob, level);
    }

    /** Appends one entry; {@code payload} must supply exactly {@code header.size()} bytes for regular files. */
    void add(TarHeader header, InputStream payload) throws IOException {
        members.write(TarHeaderEncoder.encode(header));
        JsonEntry entry = describe(header);
        if (header.type() != EntryType.REG || header.size() == 0) {
            toc.add(entry);
            return;
        }
        MessageDigest fileDigest = Digests.sha256();
        List<JsonEntry> pieces = new ArrayList<>();
        long written = 0;
        while (written < header.size()) {
            long n = Math.min(chunkSize, header.size() - written);
            JsonEntry piece = written == 0 ? entry : chunkEntry(header.name());
            if (n == chunkSize) {
                piece.chunkSize = n; // as Go: only a short last chunk is left 0, meaning "to the end of the file"
            }
            piece.chunkOffset = written;
            if (minChunkSize > 0 && members.memberBytes() < minChunkSize && !isLandmark(header)) {
                piece.offset = members.memberOffset();
                piece.innerOffset = members.memberBytes();
            } else {
                piece.offset = members.nextMemberOffset();
            }
            MessageDigest chunkDigest = Digests.sha256();
            copy(payload, n, header.name(), fileDigest, chunkDigest);
            piece.chunkDigest = Digests.format(chunkDigest.digest());
            pieces.add(piece);
            written += n;
        }
        entry.digest = Digests.format(fileDigest.digest());
        toc.addAll(pieces);
        members.write(new byte[TarHeader.padding(header.size())]);
    }

    /** A landmark starts its own member so that the prefetch range ends exactly where it begins. */
    private static boolean isLandmark(TarHeader h) {
        return h.name().equals(Toc.PREFETCH_LANDMARK) || h.name().equals(Toc.NO_PREFETCH_LANDMARK);
    }

    private void copy(InputStream payload, long length, String name, MessageDigest... digests) throws IOException {
        long left = length;
        while (left > 0) {
            int n = payload.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("payload of " + EntryPaths.quote(name) + " ends " + left + " bytes early");
            }
            for (MessageDigest d : digests) {
                d.update(buffer, 0, n);
            }
            members.write(buffer, 0, n);
            left -= n;
        }
    }

    /** Writes the TOC and footer; returns the blob's identity and annotations. Does not close the output. */
    ConversionResult finish() throws IOException {
        byte[] json = TocJson.write(toc);
        String tocDigest = Digests.sha256(json);
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(LayerAnnotations.TOC_DIGEST, tocDigest);
        if (format == LayerFormat.ESTARGZ) {
            long tocOffset = members.nextMemberOffset();
            members.write(TarHeaderEncoder.encode(new TarHeader(EstargzLayer.TOC_TAR_NAME, EntryType.REG, "", 0644,
                    0, 0, json.length, Instant.EPOCH, "", "", 0, 0, Map.of())));
            members.write(json);
            members.write(new byte[TarHeader.padding(json.length)]);
            members.write(END_OF_ARCHIVE);
            members.closeMember();
            blob.write(Footer.estargz(tocOffset));
        } else {
            members.write(END_OF_ARCHIVE);
            members.closeMember();
            byte[] compressed = com.github.luben.zstd.Zstd.compress(json, level);
            long tocOffset = blob.count() + 8;
            blob.write(Footer.skippableFrame(compressed));
            blob.write(Footer.zstdChunked(tocOffset, compressed.length, json.length));
            annotations.put(LayerAnnotations.ZSTD_MANIFEST_CHECKSUM, Digests.sha256(compressed));
            annotations.put(LayerAnnotations.ZSTD_MANIFEST_POSITION,
                    tocOffset + ":" + compressed.length + ":" + json.length + ":1");
        }
        annotations.put(LayerAnnotations.UNCOMPRESSED_SIZE, Long.toString(members.uncompressedSize()));
        blob.flush();
        return new ConversionResult(format, blob.digest(), blob.count(), members.diffId(), tocDigest,
                members.uncompressedSize(), annotations);
    }

    private static JsonEntry describe(TarHeader h) {
        JsonEntry e = new JsonEntry();
        e.name = h.name();
        e.type = h.type().jsonName();
        e.size = h.type() == EntryType.REG ? h.size() : 0;
        e.modtime = TocJson.formatTime(h.modTime());
        e.linkName = h.type() == EntryType.SYMLINK || h.type() == EntryType.HARDLINK ? h.linkName() : null;
        e.mode = h.mode();
        e.uid = h.uid();
        e.gid = h.gid();
        e.userName = h.userName().isEmpty() ? null : h.userName();
        e.groupName = h.groupName().isEmpty() ? null : h.groupName();
        if (h.type() == EntryType.CHAR || h.type() == EntryType.BLOCK) {
            e.devMajor = h.devMajor();
            e.devMinor = h.devMinor();
        }
        if (!h.xattrs().isEmpty()) {
            e.xattrs = new LinkedHashMap<>();
            h.xattrs().forEach((k, v) -> e.xattrs.put(k, Base64.getEncoder().encodeToString(v)));
        }
        return e;
    }

    private static JsonEntry chunkEntry(String name) {
        JsonEntry e = new JsonEntry();
        e.name = name;
        e.type = "chunk";
        return e;
    }
}
