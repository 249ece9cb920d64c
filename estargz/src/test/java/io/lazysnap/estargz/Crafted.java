package io.lazysnap.estargz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Rewrites the TOC of a valid eStargz blob, to produce hostile layers with real data members. */
final class Crafted {

    static final ObjectMapper JSON = new ObjectMapper();

    private Crafted() {
    }

    /** The TOC JSON of an eStargz blob. */
    static ObjectNode toc(byte[] blob) throws IOException {
        return (ObjectNode) JSON.readTree(new TocReader().read(new RecordingBlob(blob)).json());
    }

    /** The blob with its TOC replaced by {@code json}, data members untouched. */
    static byte[] withToc(byte[] blob, byte[] json) throws IOException {
        long tocOffset = Footer.parse(Arrays.copyOfRange(blob, blob.length - Footer.MAX_SIZE, blob.length),
                blob.length).tocOffset();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(blob, 0, (int) tocOffset);
        out.write(tocMember(json));
        out.write(Footer.estargz(tocOffset));
        return out.toByteArray();
    }

    /** Edits the entries of the TOC and re-wraps it. */
    static byte[] editEntries(byte[] blob, Consumer<ArrayNode> edit) throws IOException {
        ObjectNode toc = toc(blob);
        edit.accept((ArrayNode) toc.get("entries"));
        return withToc(blob, JSON.writeValueAsBytes(toc));
    }

    static ObjectNode find(ArrayNode entries, String name, String type) {
        for (var e : entries) {
            if (e.get("name").asText().equals(name) && e.get("type").asText().equals(type)) {
                return (ObjectNode) e;
            }
        }
        throw new AssertionError("no " + type + " " + name);
    }

    static byte[] tocMember(byte[] json) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            TarArchiveEntry e = new TarArchiveEntry(EstargzLayer.TOC_TAR_NAME);
            e.setSize(json.length);
            tar.putArchiveEntry(e);
            tar.write(json);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
