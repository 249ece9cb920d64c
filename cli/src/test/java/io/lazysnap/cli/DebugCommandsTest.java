package io.lazysnap.cli;

import io.lazysnap.daemon.Daemon;
import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.daemon.EstargzImage;
import io.lazysnap.daemon.LazyLayers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Registry;
import io.grpc.ManagedChannel;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.cli.Main;
import io.lazysnap.proto.SocketChannels;
import io.lazysnap.daemon.root.Root;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** lazysnap ls, inspect and doctor against a real daemon that serves a layer lazily through FUSE. */
class DebugCommandsTest {

    @TempDir
    Path tmp;
    private Registry registry;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = Registry.start(Files.createDirectories(tmp.resolve("registry")));
    }

    @AfterEach
    void stopRegistry() throws Exception {
        registry.close();
    }

    @Test
    void lsInspectAndDoctorSeeALazilyServedLayer() throws Exception {
        int bigBytes = 2 << 20;
        EstargzImage image = LazyLayers.push(registry, "ops/debug:1", bigBytes, tmp);
        Path config = LazyLayers.config(tmp, registry);
        Path root = tmp.resolve("root");
        Path socket = tmp.resolve("lazysnap.sock");
        try (Daemon daemon = Daemon.start(DaemonConfig.load(config).withOverrides(root, socket))) {
            LazyLayers.prepareLazily(socket, image, "chain-1");
            ManagedChannel channel = SocketChannels.open(socket);
            try {
                SnapshotsGrpc.newBlockingStub(channel).prepare(PrepareSnapshotRequest.newBuilder()
                        .setSnapshotter("lazysnap").setKey("container-1").setParent("chain-1").build());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            String ls = run(0, "ls", "--root", root.toString());
            String[] lines = ls.split("\n");
            assertEquals(3, lines.length, ls);
            assertTrue(lines[0].matches("ID +KIND +TYPE +MOUNT +LAYER +PARENT +NAME"), ls);
            assertTrue(lines[1].matches("\\d+ +committed +remote +fuse\\.lazysnap +" + image.layerDigest()
                    + " +- +chain-1"), ls);
            assertTrue(lines[2].matches("\\d+ +active +plain +- +- +chain-1 +container-1"), ls);

            Path big1 = Stream.of(new Root(root).snapshots().toFile().listFiles()).map(f -> f.toPath()
                    .resolve("fs/big.bin")).filter(Files::exists).findFirst().orElseThrow();
            assertEquals(bigBytes, Files.readAllBytes(big1).length);
            String inspect = "";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!inspect.contains("fetched:    ") || inspect.contains("fetched:    -")) {
                assertTrue(System.nanoTime() < deadline, "the stats file is written every 5 s:\n" + inspect);
                Thread.sleep(500);
                inspect = run(0, "inspect", "--root", root.toString(), image.layerDigest());
            }
            assertTrue(inspect.contains("snapshot:   chain-1"), inspect);
            assertTrue(inspect.contains("kind:       committed, remote (served lazily)"), inspect);
            assertTrue(inspect.contains("mount:      fuse.lazysnap"), inspect);
            assertTrue(inspect.contains("TOC verified against its digest annotation"), inspect);
            assertTrue(inspect.matches("(?s).*disk cache: [1-9]\\d* of \\d+ chunks.*"), inspect);
            assertTrue(inspect.matches("(?s).*fetched:    [1-9]\\d* bytes in [1-9]\\d* range reads.*"), inspect);
            assertEquals(run(0, "inspect", "--root", root.toString(), "chain-1"), inspect, "by key or by layer");
            assertTrue(run(0, "inspect", "--root", root.toString(), "container-1").contains("kind:       active, plain"));
            run(1, "inspect", "--root", root.toString(), "sha256:" + "0".repeat(64));

            Path containerd = Files.writeString(tmp.resolve("containerd.toml"), String.join("\n",
                    "version = 2",
                    "[proxy_plugins.lazysnap]",
                    "  type = \"snapshot\"",
                    "  address = \"" + socket + "\"",
                    "[plugins.\"io.containerd.grpc.v1.cri\".containerd]",
                    "  snapshotter = \"lazysnap\"",
                    "  disable_snapshot_annotations = false", ""));
            String doctor = run(-1, "doctor", "--config", config.toString(), "--root", root.toString(),
                    "--address", socket.toString(), "--containerd-config", containerd.toString());
            assertTrue(doctor.contains("[OK  ] socket " + socket + ": accepts connections, mode 0660"), doctor);
            assertTrue(doctor.contains("[OK  ] containerd config " + containerd + ": proxy plugin \"lazysnap\""),
                    doctor);
            assertTrue(doctor.contains("[OK  ] CRI: snapshotter \"lazysnap\" with image labels"), doctor);
            assertTrue(doctor.contains("[OK  ] FUSE device /dev/fuse"), doctor);
        }
        assertTrue(run(0, "ls", "--root", root.toString()).contains("MISSING"),
                "a remote layer without its daemon is not served");
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mounts"))) {
            assertTrue(mounts.noneMatch(l -> l.contains(tmp.toString())), "no mount left behind");
        }
    }

    /** Runs a lazysnap command in this JVM and returns its standard output; exit -1: any status. */
    private static String run(int exit, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int status;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            status = new CommandLine(new Main()).execute(args);
        } finally {
            System.setOut(saved);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        if (exit >= 0) {
            assertEquals(exit, status, String.join(" ", args) + ":\n" + out);
        }
        return out;
    }
}
