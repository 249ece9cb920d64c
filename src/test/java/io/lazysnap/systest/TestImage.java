package io.lazysnap.systest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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
        Processes.run(Duration.ofMinutes(1), "tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                "--mtime=@0", "-C", dir.toString(), "-cf", tar.toString(), ".");
        Path gz = work.resolve("layer-" + layers.size() + ".tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(tar, out);
        }
        layers.add(new Blob(digest(Files.readAllBytes(gz)), Files.size(gz), digest(Files.readAllBytes(tar)), gz));
        return this;
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
            upload(base, layer.digest(), Files.readAllBytes(layer.file()));
        }
        String configDigest = digest(configBytes);
        upload(base, configDigest, configBytes);

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

    private static void upload(String base, String digest, byte[] content) throws Exception {
        HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        expect(202, start, "blob upload start");
        String location = start.headers().firstValue("Location").orElseThrow();
        URI target = URI.create(base).resolve(location);
        String sep = target.getQuery() == null ? "?" : "&";
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(target + sep + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
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
}
