package io.lazysnap.daemon.unpack;

import io.lazysnap.registry.BlobDigest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * OCI chain IDs: the name of the snapshot holding layers 0..n applied in order. The first layer's chain ID is its
 * diffID; each further one is {@code sha256(parentChainID + " " + diffID)}. containerd names committed layer
 * snapshots by chain ID, which is what makes a second pull of the same layers a no-op.
 */
public final class ChainIds {

    private ChainIds() {
    }

    /** The chain ID of every prefix of {@code diffIds}: element i names layers 0..i. */
    public static List<String> of(List<String> diffIds) {
        List<String> chain = new ArrayList<>(diffIds.size());
        for (String diffId : diffIds) {
            chain.add(chain.isEmpty() ? diffId : sha256(chain.get(chain.size() - 1) + " " + diffId));
        }
        return List.copyOf(chain);
    }

    private static String sha256(String text) {
        return BlobDigest.sha256(text.getBytes(StandardCharsets.UTF_8));
    }
}
