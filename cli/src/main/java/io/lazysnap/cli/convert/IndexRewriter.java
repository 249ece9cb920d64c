package io.lazysnap.cli.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.MediaTypes;
import java.io.IOException;
import java.util.Map;

/**
 * Builds the index of a converted multi-platform image from the source index: each converted manifest's entry gets
 * the new media type, digest and size and keeps its platform and annotations exactly as they were written (fields
 * such as {@code os.version} included); entries that were not converted are dropped, since they would point at
 * (or describe) the unconverted image.
 */
final class IndexRewriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private IndexRewriter() {
    }

    /**
     * @param converted new manifest descriptors by the position of the entry they replace in the source index
     *                  (positions, not digests: two entries may name one manifest)
     */
    static byte[] rewrite(byte[] sourceIndex, Map<Integer, Descriptor> converted) throws IOException {
        JsonNode source = JSON.readTree(sourceIndex);
        ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode manifests = index.putArray("manifests");
        for (int i = 0; i < source.path("manifests").size(); i++) {
            JsonNode entry = source.path("manifests").get(i);
            Descriptor replacement = converted.get(i);
            if (replacement == null) {
                continue;
            }
            ObjectNode copy = ((ObjectNode) entry).deepCopy();
            copy.put("mediaType", replacement.mediaType());
            copy.put("digest", replacement.digest());
            copy.put("size", replacement.size());
            manifests.add(copy);
        }
        if (source.has("annotations")) {
            index.set("annotations", source.get("annotations"));
        }
        return JSON.writeValueAsBytes(index);
    }
}
