package io.lazysnap.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading and writing the JSON shapes of the OCI image spec that manifests and indexes share. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static JsonNode read(byte[] bytes, String what) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException(what + " is not valid JSON: " + detail, e);
        }
    }

    static Descriptor descriptor(JsonNode node, String what) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        List<String> urls = new ArrayList<>();
        node.path("urls").forEach(u -> urls.add(u.asText()));
        JsonNode p = node.get("platform");
        Platform platform = p == null ? null
                : Platform.of(p.path("os").asText(), p.path("architecture").asText(), p.path("variant").asText());
        return Descriptor.of(node.path("mediaType").asText(""), node.path("digest").asText(null),
                node.path("size").asLong(-1), annotations(node), urls, platform)
                .withArtifactType(node.path("artifactType").asText(null));
    }

    static List<Descriptor> descriptors(JsonNode array, String what) {
        List<Descriptor> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            out.add(descriptor(array.get(i), what + "[" + i + "]"));
        }
        return out;
    }

    static Map<String, String> annotations(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.path("annotations").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    static ObjectNode write(Descriptor d) {
        ObjectNode node = MAPPER.createObjectNode()
                .put("mediaType", d.mediaType())
                .put("digest", d.digest())
                .put("size", d.size());
        d.artifactType().ifPresent(t -> node.put("artifactType", t));
        if (!d.urls().isEmpty()) {
            d.urls().forEach(node.putArray("urls")::add);
        }
        if (!d.annotations().isEmpty()) {
            ObjectNode a = node.putObject("annotations");
            d.annotations().forEach(a::put);
        }
        d.platform().ifPresent(p -> {
            ObjectNode pn = node.putObject("platform").put("architecture", p.architecture()).put("os", p.os());
            if (!p.variant().isEmpty()) {
                pn.put("variant", p.variant());
            }
        });
        return node;
    }
}
