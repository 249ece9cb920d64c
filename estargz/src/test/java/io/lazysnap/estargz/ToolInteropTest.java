package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with the reference tools: GNU tar, gzip and zstd read what we write; what stargz-snapshotter's
 * {@code ctr-remote image convert} writes, we read. Skipped only where a tool is not installed.
 */
class ToolInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void ourEstargzIsAPlainTarGzForGnuTarAndGzip() throws Exception {
        assumeTrue(onPath("tar") && onPath("gzip"), "GNU tar and gzip are installed");
        SourceTree tree = SourceTree.standard(4096);
        Path blob = dir.resolve("layer.tar.gz");
        ConversionResult r = convertTo(LayerFormat.ESTARGZ, tree, blob);
        assertEquals(Layers.names(tree.tar()).size() + 2, run(dir, "tar", "-tzf", blob.toString()).lines().count(),
                "source entries + landmark + TOC");
        assertEquals(r.diffId(), "sha256:" + run(dir, "sh", "-c", "gzip -dc " + blob + " | sha256sum").split(" ")[0]);
        run(dir, "gzip", "-t", blob.toString());
    }

    @Test
    void ourZstdChunkedIsAPlainTarZstForZstdAndTar() throws Exception {
        assumeTrue(onPath("tar") && onPath("zstd"), "GNU tar and zstd are installed");
        SourceTree tree = SourceTree.standard(4096);
        Path blob = dir.resolve("layer.tar.zst");
        ConversionResult r = convertTo(LayerFormat.ZSTD_CHUNKED, tree, blob);
        assertEquals(Layers.names(tree.tar()).size() + 1,
                run(dir, "tar", "--zstd", "-tf", blob.toString()).lines().count(), "source entries + landmark");
        assertEquals(r.diffId(), "sha256:" + run(dir, "sh", "-c", "zstd -dc " + blob + " | sha256sum").split(" ")[0]);
    }

    @Test
    void layersConvertedByCtrRemoteReadByteForByte() throws Exception {
        assumeTrue(onPath("containerd") && onPath("ctr-remote"), "containerd and ctr-remote are installed");
        SourceTree tree = SourceTree.standard(1 << 20);
        Path image = ociArchive(tree.tarGz());
        try (PrivateContainerd containerd = PrivateContainerd.start(dir.resolve("ctrd"))) {
            containerd.ctr("images", "import", "--no-unpack", image.toString());
            String[][] conversions = {
                    {"--estargz", "--oci", "--estargz-chunk-size", "262144"},
                    {"--zstdchunked", "--oci"}};
            for (String[] flags : conversions) {
                String target = "docker.io/library/lazysnap-test:" + flags[0].substring(2);
                List<String> args = new ArrayList<>(List.of("image", "convert"));
                args.addAll(Arrays.asList(flags));
                args.addAll(List.of("docker.io/library/lazysnap-test:src", target));
                containerd.ctr(args.toArray(String[]::new));
                Path export = dir.resolve(flags[0].substring(2) + ".tar");
                containerd.ctr("images", "export", export.toString(), target);
                assertReadsLikeSource(export, tree, flags[0].equals("--estargz") ? LayerFormat.ESTARGZ
                        : LayerFormat.ZSTD_CHUNKED);
            }
        }
    }

    private void assertReadsLikeSource(Path export, SourceTree tree, LayerFormat format) throws IOException {
        Map<String, byte[]> blobs = new HashMap<>();
        JsonNode index = null;
        try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(export))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals("index.json")) {
                    index = JSON.readTree(in.readAllBytes());
                } else if (e.getName().startsWith("blobs/sha256/")) {
                    blobs.put("sha256:" + e.getName().substring("blobs/sha256/".length()), in.readAllBytes());
                }
            }
        }
        JsonNode manifest = JSON.readTree(blobs.get(index.get("manifests").get(0).get("digest").asText()));
        JsonNode layer = manifest.get("layers").get(0);
        Map<String, String> annotations = JSON.convertValue(layer.get("annotations"), Map.class);
        assertTrue(annotations.containsKey(LayerAnnotations.TOC_DIGEST), annotations.toString());
        assertEquals(format.mediaType(), layer.get("mediaType").asText());
        RecordingBlob blob = new RecordingBlob(blobs.get(layer.get("digest").asText()));
        EstargzLayer estargz = EstargzLayer.open(blob, annotations);
        assertTrue(estargz.tocVerified());
        assertEquals(format, estargz.format());
        assertEquals(1, blob.reads.size(), "footer and TOC in one read");
        for (SourceTree.Expected e : tree.entries) {
            TocEntry entry = estargz.toc().entry(e.path()).orElseThrow(() -> new AssertionError(e.path()));
            assertEquals(e.type(), entry.type(), e.path());
            assertEquals(e.mode(), entry.mode(), e.path());
            assertEquals(e.modTime(), entry.modTime(), e.path());
            if (e.type() == EntryType.REG) {
                assertArrayEquals(e.content(), Layers.readAll(estargz, entry), e.path());
            }
            for (var x : e.xattrs().entrySet()) {
                assertArrayEquals(x.getValue(), entry.xattr(x.getKey()), e.path());
            }
        }
        assertTrue(estargz.toc().entry(Toc.NO_PREFETCH_LANDMARK).isPresent());
        assertEquals(3, estargz.toc().entry("bin/many-chunks").orElseThrow().numLink());
    }

    private ConversionResult convertTo(LayerFormat format, SourceTree tree, Path blob) throws IOException {
        try (InputStream in = new java.io.ByteArrayInputStream(tree.tar()); OutputStream out = Files.newOutputStream(blob)) {
            return LayerConverter.builder().format(format).chunkSize(4096).build().convert(in, out);
        }
    }

    /** An OCI image archive holding one layer, as {@code ctr images import} takes it. */
    private Path ociArchive(byte[] layerTarGz) throws IOException {
        Map<String, byte[]> blobs = new HashMap<>();
        String layerDigest = Digests.sha256(layerTarGz);
        blobs.put(layerDigest, layerTarGz);
        String diffId = Digests.sha256(Layers.decompress(LayerFormat.ESTARGZ, layerTarGz));
        byte[] config = utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}");
        blobs.put(Digests.sha256(config), config);
        byte[] manifest = utf8("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + Digests.sha256(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\",\"size\":"
                + layerTarGz.length + "}]}");
        blobs.put(Digests.sha256(manifest), manifest);
        byte[] index = utf8("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + Digests.sha256(manifest)
                + "\",\"size\":" + manifest.length + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},"
                + "\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/lazysnap-test:src\","
                + "\"org.opencontainers.image.ref.name\":\"src\"}}]}");
        Path archive = dir.resolve("image.tar");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(archive))) {
            put(tar, "oci-layout", utf8("{\"imageLayoutVersion\":\"1.0.0\"}"));
            put(tar, "index.json", index);
            for (var b : blobs.entrySet()) {
                put(tar, "blobs/sha256/" + b.getKey().substring(7), b.getValue());
            }
        }
        return archive;
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    static String run(Path cwd, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + out.toString(StandardCharsets.UTF_8));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A containerd of our own: private root, state, socket and config; killed by its PID on close. */
    static final class PrivateContainerd implements AutoCloseable {
        private final Path root;
        private final Process process;

        private PrivateContainerd(Path root, Process process) {
            this.root = root;
            this.process = process;
        }

        static PrivateContainerd start(Path root) throws IOException, InterruptedException {
            Files.createDirectories(root);
            Path config = root.resolve("config.toml");
            Files.writeString(config, "version = 2\n"
                    + "root = \"" + root.resolve("root") + "\"\n"
                    + "state = \"" + root.resolve("state") + "\"\n"
                    + "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.btrfs\","
                    + " \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\","
                    + " \"io.containerd.snapshotter.v1.aufs\"]\n"
                    + "[grpc]\n  address = \"" + root.resolve("c.sock") + "\"\n"
                    + "[ttrpc]\n  address = \"" + root.resolve("c.sock.ttrpc") + "\"\n"
                    + "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + root.resolve("opt") + "\"\n");
            Process p = new ProcessBuilder("containerd", "-c", config.toString())
                    .redirectErrorStream(true).redirectOutput(root.resolve("containerd.log").toFile()).start();
            PrivateContainerd c = new PrivateContainerd(root, p);
            for (int i = 0; i < 100 && !Files.exists(root.resolve("c.sock")); i++) {
                Thread.sleep(100);
            }
            try {
                c.ctr("version");
            } catch (IOException e) {
                c.close();
                throw new IOException(e.getMessage() + "\n" + Files.readString(root.resolve("containerd.log")), e);
            }
            return c;
        }

        String ctr(String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("ctr-remote", "--address", root.resolve("c.sock").toString(),
                    "--namespace", "lazysnap-test"));
            command.addAll(Arrays.asList(args));
            return run(root, command.toArray(String[]::new));
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
