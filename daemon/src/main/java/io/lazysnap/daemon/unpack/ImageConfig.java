package io.lazysnap.daemon.unpack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** What an image config says about its layers. */
public final class ImageConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageConfig() {
    }

    /** The config's {@code rootfs.diff_ids}: the digest of each layer's uncompressed tar, bottom layer first. */
    public static List<String> diffIds(byte[] config) throws IOException {
        JsonNode ids = JSON.readTree(config).path("rootfs").path("diff_ids");
        List<String> diffIds = new ArrayList<>();
        ids.forEach(id -> diffIds.add(id.asText()));
        return List.copyOf(diffIds);
    }
}
