package io.lazysnap.daemon.remote;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** What a remote snapshot needs to be mounted again after a restart, kept as {@code layer.json} beside it. */
record LayerState(@JsonProperty("repository") String repository, @JsonProperty("digest") String digest,
                  @JsonProperty("mediaType") String mediaType, @JsonProperty("size") long size,
                  @JsonProperty("annotations") Map<String, String> annotations) {

    static final String FILE = "layer.json";
    static final String READS_FILE = "toc.reads";
    private static final ObjectMapper JSON = new ObjectMapper();

    static LayerState of(ResolvedLayer layer) {
        Descriptor d = layer.descriptor();
        return new LayerState(layer.repository().toString(), d.digest(), d.mediaType(), d.size(), d.annotations());
    }

    ResolvedLayer layer() {
        return new ResolvedLayer(Reference.parse(repository),
                Descriptor.of(mediaType, digest, size).withAnnotations(annotations));
    }

    /** The contents of {@link #FILE}: made when the layer is opened, so that its Prepare only writes them. */
    byte[] json() throws IOException {
        return JSON.writeValueAsBytes(this);
    }

    /** Writes {@code json} ({@link #json}) as the state of the snapshot in {@code snapshotDir}, atomically. */
    static void save(Path snapshotDir, byte[] json) throws IOException {
        Path tmp = snapshotDir.resolve(FILE + ".tmp");
        Files.write(tmp, json);
        Files.move(tmp, snapshotDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static LayerState load(Path snapshotDir) throws IOException {
        return JSON.readValue(Files.readAllBytes(snapshotDir.resolve(FILE)), LayerState.class);
    }
}
