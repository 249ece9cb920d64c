package io.lazysnap.daemon.snapshot;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What the store records about one snapshot. {@code parent} is the empty string for a snapshot without parent,
 * as in containerd's API.
 */
public record SnapshotInfo(String name, String parent, Kind kind, Instant created, Instant updated,
                           Map<String, String> labels) {

    public SnapshotInfo {
        Objects.requireNonNull(name, "name");
        parent = parent == null ? "" : parent;
        Objects.requireNonNull(kind, "kind");
        labels = Map.copyOf(labels);
    }

    public boolean hasParent() {
        return !parent.isEmpty();
    }
}
