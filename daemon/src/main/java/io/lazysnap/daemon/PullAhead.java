package io.lazysnap.daemon;

import io.lazysnap.daemon.pull.LayersAhead;
import io.lazysnap.daemon.remote.Manifests;
import io.lazysnap.daemon.snapshot.PrepareGate;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon starts for an image pulled through it ({@code lazysnap rpull}) before containerd prepares its
 * layers: the TOCs of those it serves lazily, the download of those it unpacks. Nothing starts for an image the
 * signature gate would refuse: its Prepares then say why, and no byte of its layers was fetched.
 */
final class PullAhead implements LayersAhead {

    private static final Logger log = LoggerFactory.getLogger(PullAhead.class);

    /** Starts fetching an image's layers, of all of them or of those listed. */
    interface Fetch {
        void start(Reference image, Manifest manifest, List<String> layers);
    }

    private final Manifests manifests;
    private final PrepareGate gate;
    private final Fetch openLazy;
    private final Fetch unpack;

    /**
     * @param openLazy starts opening the layers served lazily (its list is every layer of the manifest)
     * @param unpack   starts downloading and unpacking the listed layers, of those that are not served lazily
     */
    PullAhead(Manifests manifests, PrepareGate gate, Fetch openLazy, Fetch unpack) {
        this.manifests = manifests;
        this.gate = gate;
        this.openLazy = openLazy;
        this.unpack = unpack;
    }

    @Override
    public void open(Reference image, Manifest manifest) {
        manifests.add(manifest);
        start(openLazy, image, manifest, manifest.layers().stream().map(d -> d.digest()).toList());
    }

    @Override
    public void unpack(Reference image, Manifest manifest, List<String> missing) {
        if (!missing.isEmpty()) {
            start(unpack, image, manifest, missing);
        }
    }

    private void start(Fetch fetch, Reference image, Manifest manifest, List<String> layers) {
        try {
            if (gate.admitsAhead(image, manifest)) {
                fetch.start(image, manifest, layers);
            } else {
                log.debug("not fetching the layers of {} ahead: the signature policy refuses it", image);
            }
        } catch (RuntimeException e) {
            // The Prepares report whatever this is; nothing was started.
            log.debug("not fetching the layers of {} ahead: {}", image, e.toString());
        }
    }
}
