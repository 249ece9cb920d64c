package io.lazysnap.daemon.snapshot;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** containerd's label rules: at most 4096 bytes of key plus value, and a non-empty key. */
final class Labels {

    static final int MAX_SIZE = 4096;

    private Labels() {
    }

    static Map<String, String> validate(Map<String, String> labels) {
        for (Map.Entry<String, String> label : labels.entrySet()) {
            if (label.getKey().isEmpty()) {
                throw SnapshotException.invalidArgument("label key must not be empty");
            }
            int size = label.getKey().getBytes(StandardCharsets.UTF_8).length
                    + label.getValue().getBytes(StandardCharsets.UTF_8).length;
            if (size > MAX_SIZE) {
                throw SnapshotException.invalidArgument(
                        "label %.64s...: key and value length (%d bytes) greater than maximum size (%d bytes)",
                        label.getKey(), size, MAX_SIZE);
            }
        }
        return labels;
    }
}
