package io.lazysnap.cli;

import io.lazysnap.daemon.EstargzImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Registry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.CommitSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.proto.SocketChannels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lazysnap serve} as a process with {@code log_format = "json"}: every line it writes is a JSON object, and
 * each pulled layer gets one line whose fields say image, layer, mode, duration and bytes.
 */
class ServeJsonLogTest {

    @TempDir
    Path tmp;

    @Test
    void pullsAreLoggedAsJsonFields() throws Exception {
        try (Registry registry = Registry.start(Files.createDirectories(tmp.resolve("registry")));
             RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
            EstargzImage lazy = EstargzImage.push(client, registry.host() + "/ops/lazy:1",
                    Map.of("a.txt", "lazy\n".getBytes(StandardCharsets.UTF_8)), Files.createDirectories(tmp.resolve("i1")));
            EstargzImage download = EstargzImage.push(client, registry.host() + "/ops/download:1",
                    Map.of("b.txt", "download\n".getBytes(StandardCharsets.UTF_8)),
                    Files.createDirectories(tmp.resolve("i2")), false);
            Path config = Files.writeString(tmp.resolve("config.toml"), String.join("\n",
                    "log_format = \"json\"",
                    "[fuse]",
                    "handover = \"off\"", // a stop unmounts: nothing is kept for a next daemon here
                    "[registry]",
                    "plain_http = [\"" + registry.host() + "\"]",
                    "hosts_dir = \"" + tmp.resolve("no-certs.d") + "\"", ""));
            Path socket = tmp.resolve("lazysnap.sock");
            Path stderr = tmp.resolve("serve.log");
            Process serve = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dfile.encoding=UTF-8", "-cp", System.getProperty("java.class.path"), "io.lazysnap.cli.Main",
                    "serve", "--config", config.toString(), "--root", tmp.resolve("root").toString(),
                    "--address", socket.toString()).redirectError(stderr.toFile()).start();
            try {
                prepareAndCommit(socket, lazy, download);
            } finally {
                serve.destroy();
                assertTrue(serve.waitFor(30, TimeUnit.SECONDS), "stops on SIGTERM");
            }
            assertEquals(0, serve.exitValue(), Files.readString(stderr));

            ObjectMapper json = new ObjectMapper();
            List<Map<String, String>> pulls = new ArrayList<>();
            for (String line : Files.readAllLines(stderr)) {
                JsonNode event = json.readTree(line); // throws on any line that is not JSON
                assertTrue(event.hasNonNull("level") && event.hasNonNull("formattedMessage"), line);
                if (event.path("loggerName").asText().endsWith("PullLog")) {
                    pulls.add(fields(event.path("kvpList")));
                }
            }
            assertEquals(2, pulls.size(), pulls.toString());
            Map<String, String> first = pulls.get(0);
            assertEquals("lazy", first.get("mode"));
            assertEquals(lazy.reference(), first.get("image"));
            assertEquals(lazy.layerDigest(), first.get("layer"));
            assertTrue(Long.parseLong(first.get("duration_ms")) >= 0);
            assertTrue(Long.parseLong(first.get("bytes")) >= 0, "bytes fetched by the time the Prepare answered");
            Map<String, String> second = pulls.get(1);
            assertEquals("fallback", second.get("mode"));
            assertEquals(download.layerDigest(), second.get("layer"));
            assertTrue(second.containsKey("bytes") && second.containsKey("duration_ms"), second.toString());
        }
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mounts"))) {
            assertFalse(mounts.anyMatch(l -> l.contains(tmp.toString())), "no mount left behind");
        }
    }

    private static void prepareAndCommit(Path socket, EstargzImage lazy, EstargzImage download) throws Exception {
        for (int i = 0; i < 300 && !Files.exists(socket); i++) {
            Thread.sleep(100);
        }
        ManagedChannel channel = SocketChannels.open(socket);
        try {
            SnapshotsGrpc.SnapshotsBlockingStub stub = SnapshotsGrpc.newBlockingStub(channel).withWaitForReady()
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            StatusRuntimeException served = assertThrows(StatusRuntimeException.class, () -> stub.prepare(
                    PrepareSnapshotRequest.newBuilder().setSnapshotter("lazysnap").setKey("extract-1 chain-1")
                            .putAllLabels(lazy.prepareLabels("chain-1")).build()));
            assertEquals(Status.Code.ALREADY_EXISTS, served.getStatus().getCode());
            stub.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter("lazysnap").setKey("extract-2 chain-2")
                    .putAllLabels(download.prepareLabels("chain-2")).build());
            stub.commit(CommitSnapshotRequest.newBuilder().setSnapshotter("lazysnap").setName("chain-2")
                    .setKey("extract-2 chain-2").build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** logback's {@code kvpList}: an array of one-entry objects. */
    private static Map<String, String> fields(JsonNode kvpList) {
        Map<String, String> fields = new HashMap<>();
        kvpList.forEach(pair -> pair.fields().forEachRemaining(f -> fields.put(f.getKey(), f.getValue().asText())));
        return fields;
    }
}
