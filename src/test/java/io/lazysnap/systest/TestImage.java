package io.lazysnap.systest;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Builds a small OCI image from directories (one tar.gz layer each, made by tar(1)) and pushes it to a registry
 * with the distribution API's monolithic upload.
 */
final class TestImage {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private record Blob(String digest, long size, String diffId, Path file) {
    }

    private final Path work;
    private final List<Blob> layers = new ArrayList<>();

    TestImage(Path work) {
        this.work = work;
    }

    /** Fills {@code dir} with a minimal root filesystem: a static busybox and a few applet links in /bin. */
    static Path busyboxRootfs(Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        String busybox = Processes.run(Duration.ofSeconds(5), "sh", "-c", "command -v busybox").strip();
        Files.copy(Path.of(busybox), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "ls", "echo", "sleep", "head", "wc")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        return dir;
    }

    /** Adds the content of {@code dir} as the next layer (OCI whiteouts are ordinary {@code .wh.} files). */
    TestImage layer(Path dir) throws Exception {
        Path tar = work.resolve("layer-" + layers.size() + ".tar");
        Processes.run(Duration.ofMinutes(5), "tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                "--mtime=@0", "-C", dir.toString(), "-cf", tar.toString(), ".");
        return tarLayer(tar);
    }

    /** Adds a tar (streamed, any size) as the next layer, gzip-compressed. */
    TestImage tarLayer(Path tar) throws Exception {
        Path gz = work.resolve("layer-" + layers.size() + ".tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED); // test layers of up to a GiB: speed over size
            }
        }) {
            Files.copy(tar, out);
        }
        layers.add(new Blob(digest(gz), Files.size(gz), digest(tar), gz));
        return this;
    }

    /** Makes the config name a wrong diffID for layer {@code index}, as a corrupted or forged image would. */
    TestImage wrongDiffId(int index) {
        Blob b = layers.get(index);
        layers.set(index, new Blob(b.digest(), b.size(), "sha256:" + "0".repeat(64), b.file()));
        return this;
    }

    /** The chain ID of all layers: the snapshot containerd names the image's top layer. */
    String chainId() throws NoSuchAlgorithmException {
        String chain = null;
        for (Blob layer : layers) {
            chain = chain == null ? layer.diffId() : digest((chain + " " + layer.diffId()).getBytes(UTF_8));
        }
        return chain;
    }

    /** Pushes layers, config and manifest as {@code registry/repository:tag}; returns the reference. */
    String push(String registry, String repository, String tag, List<String> cmd) throws Exception {
        ObjectNode config = JSON.createObjectNode().put("architecture", "amd64").put("os", "linux");
        ObjectNode runConfig = config.putObject("config");
        runConfig.putArray("Env").add("PATH=/bin");
        ArrayNode cmdNode = runConfig.putArray("Cmd");
        cmd.forEach(cmdNode::add);
        ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.diffId()));
        byte[] configBytes = JSON.writeValueAsBytes(config);

        String base = "http://" + registry + "/v2/" + repository;
        for (Blob layer : layers) {
            upload(base, layer.digest(), HttpRequest.BodyPublishers.ofFile(layer.file()));
        }
        String configDigest = digest(configBytes);
        upload(base, configDigest, HttpRequest.BodyPublishers.ofByteArray(configBytes));

        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2)
                .put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", configDigest).put("size", configBytes.length);
        ArrayNode layerNodes = manifest.putArray("layers");
        for (Blob layer : layers) {
            layerNodes.addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
                    .put("digest", layer.digest()).put("size", layer.size());
        }
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/manifests/" + tag))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(manifest))).build(),
                HttpResponse.BodyHandlers.ofString());
        expect(201, put, "manifest upload");
        return registry + "/" + repository + ":" + tag;
    }

    private static void upload(String base, String digest, HttpRequest.BodyPublisher content) throws Exception {
        HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        expect(202, start, "blob upload start");
        String location = start.headers().firstValue("Location").orElseThrow();
        URI target = URI.create(base).resolve(location);
        String sep = target.getQuery() == null ? "?" : "&";
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(target + sep + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(content).build(), HttpResponse.BodyHandlers.ofString());
        expect(201, put, "blob upload " + digest);
    }

    private static void expect(int status, HttpResponse<String> response, String what) throws IOException {
        if (response.statusCode() != status) {
            throw new IOException(what + ": HTTP " + response.statusCode() + " " + response.body());
        }
    }

    static String digest(byte[] content) throws NoSuchAlgorithmException {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    static String digest(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }
}
