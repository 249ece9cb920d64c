package io.lazysnap.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Pushes OCI images to a plain-HTTP registry with the distribution API (monolithic blob uploads, one manifest),
 * and reads back how big they are.
 */
public final class ImagePusher {

    /** A layer blob on disk and its descriptor fields. */
    public record Layer(Path file, String digest, long size, String mediaType, String diffId, Map<String, String> annotations) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String registry;

    /** @param registry {@code host:port} */
    public ImagePusher(String registry) {
        this.registry = registry;
    }

    public boolean exists(String repository, String tag) throws IOException, InterruptedException {
        HttpRequest head = HttpRequest.newBuilder(uri(repository, "/manifests/" + tag))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        return http.send(head, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    }

    /** The sum of the layer sizes in {@code repository:tag}'s manifest: what a full pull downloads. */
    public long layerBytes(String repository, String tag) throws IOException, InterruptedException {
        HttpRequest get = HttpRequest.newBuilder(uri(repository, "/manifests/" + tag))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json").build();
        HttpResponse<String> response = http.send(get, HttpResponse.BodyHandlers.ofString());
        expect(200, response, "manifest " + repository + ":" + tag);
        long total = 0;
        for (var layer : JSON.readTree(response.body()).path("layers")) {
            total += layer.path("size").asLong();
        }
        return total;
    }

    /**
     * Pushes {@code layers} with a config running {@code cmd} in {@code env} as {@code repository:tag}; returns the
     * manifest's digest.
     */
    public String push(String repository, String tag, List<Layer> layers, List<String> env, List<String> cmd)
            throws IOException, InterruptedException {
        ObjectNode config = JSON.createObjectNode().put("architecture", "amd64").put("os", "linux");
        ObjectNode run = config.putObject("config");
        env.forEach(run.putArray("Env")::add);
        cmd.forEach(run.putArray("Cmd")::add);
        ArrayNode diffIds = config.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.diffId()));
        byte[] configBytes = JSON.writeValueAsBytes(config);
        String configDigest = Digests.sha256(configBytes);

        for (Layer layer : layers) {
            upload(repository, layer.digest(), HttpRequest.BodyPublishers.ofFile(layer.file()));
        }
        upload(repository, configDigest, HttpRequest.BodyPublishers.ofByteArray(configBytes));

        ObjectNode manifest = JSON.createObjectNode().put("schemaVersion", 2)
                .put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        manifest.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", configDigest).put("size", configBytes.length);
        ArrayNode descriptors = manifest.putArray("layers");
        for (Layer layer : layers) {
            ObjectNode d = descriptors.addObject().put("mediaType", layer.mediaType()).put("digest", layer.digest())
                    .put("size", layer.size());
            if (!layer.annotations().isEmpty()) {
                ObjectNode annotations = d.putObject("annotations");
                layer.annotations().forEach(annotations::put);
            }
        }
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        HttpRequest put = HttpRequest.newBuilder(uri(repository, "/manifests/" + tag))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifestBytes)).build();
        expect(201, http.send(put, HttpResponse.BodyHandlers.ofString()), "manifest " + repository + ":" + tag);
        return Digests.sha256(manifestBytes);
    }

    private void upload(String repository, String digest, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        HttpRequest head = HttpRequest.newBuilder(uri(repository, "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        if (http.send(head, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return;
        }
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(uri(repository, "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        expect(202, started, "blob upload start");
        URI location = uri(repository, "/").resolve(started.headers().firstValue("Location").orElseThrow());
        String separator = location.getQuery() == null ? "?" : "&";
        HttpRequest put = HttpRequest.newBuilder(URI.create(location + separator + "digest=" + digest))
                .header("Content-Type", "application/octet-stream").PUT(body).build();
        expect(201, http.send(put, HttpResponse.BodyHandlers.ofString()), "blob upload " + digest);
    }

    private URI uri(String repository, String path) {
        return URI.create("http://" + registry + "/v2/" + repository + path);
    }

    private static void expect(int status, HttpResponse<String> response, String what) throws IOException {
        if (response.statusCode() != status) {
            throw new IOException(what + ": HTTP " + response.statusCode() + " " + response.body());
        }
    }
}
