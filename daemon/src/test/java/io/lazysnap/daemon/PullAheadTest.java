package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lazysnap.daemon.remote.Manifests;
import io.lazysnap.daemon.snapshot.PrepareGate;
import io.lazysnap.daemon.snapshot.SnapshotException;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An rpull starts fetching an image's layers ahead of containerd's Prepares only if the gate would admit it. */
class PullAheadTest {

    private static final Reference IMAGE = Reference.parse("registry.example:5000/team/app:v1");
    private static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

    private final RegistryClient registry = RegistryClient.builder().build();
    private final Manifest manifest = Manifest.build(Descriptor.of("application/vnd.oci.image.config.v1+json",
                    "{}".getBytes(StandardCharsets.UTF_8)),
            List.of(Descriptor.of(LAYER_TYPE, "base".getBytes(StandardCharsets.UTF_8)),
                    Descriptor.of(LAYER_TYPE, "app".getBytes(StandardCharsets.UTF_8))), Map.of());
    private final List<String> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void anAdmittedImageHasItsLayersOpenedAndTheMissingOnesUnpacked() {
        PullAhead ahead = pullAhead(PrepareGate.OPEN);
        String missing = manifest.layers().get(1).digest();

        ahead.open(IMAGE, manifest);
        ahead.unpack(IMAGE, manifest, List.of(missing));
        ahead.unpack(IMAGE, manifest, List.of()); // an image the node has whole: nothing to start

        assertEquals(List.of("open " + manifest.layers().stream().map(Descriptor::digest).toList(),
                "unpack " + List.of(missing)), started);
    }

    @Test
    void aRefusedImageHasNothingFetchedAheadAndItsRefusalIsLeftToThePrepares() {
        List<String> asked = new CopyOnWriteArrayList<>();
        PullAhead ahead = pullAhead((target, layer) -> {
            asked.add(layer.orElseThrow().layerDigest());
            throw SnapshotException.failedPrecondition("image %s has no valid signature", IMAGE);
        });

        ahead.open(IMAGE, manifest);
        ahead.unpack(IMAGE, manifest, List.of(manifest.layers().get(0).digest()));

        assertEquals(List.of(), started);
        assertEquals(List.of(manifest.layers().get(0).digest(), manifest.layers().get(0).digest()), asked,
                "the gate was asked about the image's first layer each time");
    }

    @Test
    void aGateThatFailsOtherwiseStartsNothingAndFailsNoPull() {
        PullAhead ahead = pullAhead((target, layer) -> {
            throw new IllegalArgumentException("not a sha256 digest");
        });

        ahead.open(IMAGE, manifest);
        ahead.unpack(IMAGE, manifest, List.of(manifest.layers().get(0).digest()));

        assertEquals(List.of(), started);
    }

    private PullAhead pullAhead(PrepareGate gate) {
        return new PullAhead(new Manifests(registry, Platform.LINUX_AMD64), gate,
                (image, m, layers) -> started.add("open " + layers),
                (image, m, layers) -> started.add("unpack " + layers));
    }
}
