package io.lazysnap.daemon.snapshot;

import java.util.Map;

/**
 * How many snapshots of each kind a root holds, and the disk bytes of its committed snapshots' own layers as
 * measured at their commit.
 */
public record Census(Map<Kind, Long> counts, long committedBytes) {

    public Census {
        counts = Map.copyOf(counts);
    }
}
