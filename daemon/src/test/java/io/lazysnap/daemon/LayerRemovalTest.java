package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Registry;
import io.grpc.ManagedChannel;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.proto.SocketChannels;
import io.lazysnap.daemon.root.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removing a lazily served layer deletes the disk cache chunks only it had; a chunk another layer shares stays. */
class LayerRemovalTest {

    @TempDir
    Path tmp;

    @Test
    void removingALayerDeletesItsOwnChunksOnly() throws Exception {
        Random random = new Random(11);
        byte[] shared = bytes(random);
        byte[] onlyA = bytes(random);
        byte[] onlyB = bytes(random);
        try (Registry registry = Registry.start(Files.createDirectories(tmp.resolve("registry")));
             RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
            EstargzImage a = EstargzImage.push(client, registry.host() + "/ops/a:1",
                    Map.of("shared.bin", shared, "a.bin", onlyA), Files.createDirectories(tmp.resolve("a")));
            EstargzImage b = EstargzImage.push(client, registry.host() + "/ops/b:1",
                    Map.of("shared.bin", shared, "b.bin", onlyB), Files.createDirectories(tmp.resolve("b")));
            Path config = LazyLayers.config(tmp, registry, "no_background_fetch = true");
            Path root = tmp.resolve("root");
            Path socket = tmp.resolve("lazysnap.sock");
            try (Daemon ignored = Daemon.start(DaemonConfig.load(config).withOverrides(root, socket))) {
                LazyLayers.prepareLazily(socket, a, "chain-a");
                LazyLayers.prepareLazily(socket, b, "chain-b");
                assertEquals(2, readThroughMounts(root, "shared.bin"));
                assertEquals(1, readThroughMounts(root, "a.bin"));
                assertEquals(1, readThroughMounts(root, "b.bin"));
                assertTrue(cached(root, shared) && cached(root, onlyA) && cached(root, onlyB), "reads filled the cache");

                ManagedChannel channel = SocketChannels.open(socket);
                try {
                    SnapshotsGrpc.newBlockingStub(channel).remove(RemoveSnapshotRequest.newBuilder()
                            .setSnapshotter("lazysnap").setKey("chain-a").build());
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                assertFalse(cached(root, onlyA), "only a had it");
                assertTrue(cached(root, shared), "b, still mounted, uses it");
                assertTrue(cached(root, onlyB));
            }
            assertTrue(cached(root, shared) && cached(root, onlyB), "a clean stop deletes nothing");
        }
    }

    /** Reads {@code file} through every mounted layer that has it; returns how many had it. */
    private static int readThroughMounts(Path root, String file) throws Exception {
        int found = 0;
        try (Stream<Path> dirs = Files.list(new Root(root).snapshots())) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                Path f = d.resolve("fs").resolve(file);
                if (Files.exists(f)) {
                    Files.readAllBytes(f);
                    found++;
                }
            }
        }
        return found;
    }

    private static boolean cached(Path root, byte[] content) throws Exception {
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        return Files.exists(new Root(root).cache().resolve("chunks").resolve(hex.substring(0, 2)).resolve(hex));
    }

    private static byte[] bytes(Random random) {
        byte[] b = new byte[64 << 10];
        random.nextBytes(b);
        return b;
    }
}
