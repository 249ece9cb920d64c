package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lazysnap.testkit.Registry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.proto.SocketChannels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** What tests of a daemon serving a lazy layer share: a config that reaches the test registry, and the Prepare. */
public final class LazyLayers {

    private LazyLayers() {
    }

    /** Pushes an eStargz image of {@code hello.txt} and {@code big.bin} (random bytes) to {@code registry}. */
    public static EstargzImage push(Registry registry, String repository, int bigBytes, Path tmp)
            throws IOException, InterruptedException {
        byte[] big = new byte[bigBytes];
        new Random(7).nextBytes(big);
        try (RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
            return EstargzImage.push(client, registry.host() + "/" + repository,
                    Map.of("hello.txt", "hello\n".getBytes(StandardCharsets.UTF_8), "big.bin", big),
                    Files.createDirectories(tmp.resolve("image")));
        }
    }

    /** A config file whose registry section reaches {@code registry} only; {@code lines} come first. */
    public static Path config(Path tmp, Registry registry, String... lines) throws IOException {
        List<String> all = new ArrayList<>(List.of(lines));
        all.addAll(List.of("[registry]",
                "plain_http = [\"" + registry.host() + "\"]",
                "hosts_dir = \"" + tmp.resolve("no-certs.d") + "\"",
                "docker_config = \"" + tmp.resolve("no-config.json") + "\"", ""));
        return Files.writeString(tmp.resolve("config.toml"), String.join("\n", all));
    }

    /** Prepares {@code image}'s layer as containerd unpacking it would, and checks it was served lazily. */
    public static void prepareLazily(Path socket, EstargzImage image, String target) throws InterruptedException {
        ManagedChannel channel = SocketChannels.open(socket);
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                    SnapshotsGrpc.newBlockingStub(channel).prepare(PrepareSnapshotRequest.newBuilder()
                            .setSnapshotter("lazysnap").setKey("extract-1 " + target)
                            .putAllLabels(image.prepareLabels(target)).build()));
            assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode(), "served lazily");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
