package io.lazysnap.daemon.logging;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lazysnap.daemon.snapshot.Census;
import io.lazysnap.daemon.snapshot.InfoFilter;
import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.MountSpec;
import io.lazysnap.daemon.snapshot.SnapshotException;
import io.lazysnap.daemon.snapshot.SnapshotInfo;
import io.lazysnap.daemon.snapshot.Snapshotter;
import io.lazysnap.daemon.snapshot.Usage;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One INFO line per image layer a node pulls, with key-value pairs (image, layer, mode, duration_ms, bytes) that
 * the JSON log format turns into fields. A layer served lazily is done when its Prepare answers ALREADY_EXISTS
 * (after the prefetch wait), and its bytes are those its mount fetched from the registry by then; a layer lazysnap
 * downloaded and unpacked itself is done at the same point, and its bytes are those it unpacked; a fallback layer
 * (downloaded by containerd) is done when containerd commits the snapshot it unpacked into, and its bytes are that
 * snapshot's size, recorded at commit. One line at the moment the pull is done, rather than another at unmount:
 * what a lazy layer fetches later, on demand, is in the metrics and {@code lazysnap inspect}.
 */
public final class PullLog implements Snapshotter {

    private static final Logger log = LoggerFactory.getLogger(PullLog.class);

    private record Pending(LayerLabels layer, long startNanos) {
    }

    private final Snapshotter delegate;
    private final ToLongFunction<String> fetchedBytes;
    /** Fallback layers containerd is unpacking, by active snapshot key; bounded in case it never commits. */
    private final Cache<String, Pending> unpacking = Caffeine.newBuilder()
            .maximumSize(4096).expireAfterWrite(Duration.ofHours(6)).build();

    /** @param fetchedBytes compressed bytes a mounted layer, by digest, has fetched from its registry so far */
    public PullLog(Snapshotter delegate, ToLongFunction<String> fetchedBytes) {
        this.delegate = delegate;
        this.fetchedBytes = fetchedBytes;
    }

    @Override
    public List<MountSpec> prepare(String key, String parent, Map<String, String> labels) {
        Optional<LayerLabels> layer = LayerLabels.from(labels);
        if (layer.isEmpty()) {
            return delegate.prepare(key, parent, labels);
        }
        Instant asked = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        long start = System.nanoTime();
        try {
            List<MountSpec> mounts = delegate.prepare(key, parent, labels);
            unpacking.put(key, new Pending(layer.get(), start));
            return mounts;
        } catch (SnapshotException e) {
            if (e.reason() == SnapshotException.Reason.ALREADY_EXISTS) {
                lazy(layer.get(), asked, start);
            }
            throw e;
        }
    }

    private void lazy(LayerLabels layer, Instant asked, long start) {
        SnapshotInfo target = delegate.stat(layer.target());
        if (target.created().isBefore(asked)) {
            return; // the layer was on this node already: nothing was pulled
        }
        long ms = millisSince(start);
        if (!LayerLabels.REMOTE_VALUE.equals(target.labels().get(LayerLabels.REMOTE))) {
            long bytes = delegate.usage(target.name()).size();
            log.atInfo().addKeyValue("image", layer.imageRef()).addKeyValue("layer", layer.layerDigest())
                    .addKeyValue("mode", "unpacked").addKeyValue("duration_ms", ms).addKeyValue("bytes", bytes)
                    .log("pulled layer {} of {} by parallel download in {} ms, {} bytes unpacked",
                            layer.layerDigest(), layer.imageRef(), ms, bytes);
            return;
        }
        long bytes = fetchedBytes.applyAsLong(layer.layerDigest());
        log.atInfo().addKeyValue("image", layer.imageRef()).addKeyValue("layer", layer.layerDigest())
                .addKeyValue("mode", "lazy").addKeyValue("duration_ms", ms).addKeyValue("bytes", bytes)
                .log("pulled layer {} of {} lazily in {} ms, {} bytes fetched so far", layer.layerDigest(),
                        layer.imageRef(), ms, bytes);
    }

    @Override
    public void commit(String name, String key, Map<String, String> labels) {
        delegate.commit(name, key, labels);
        Pending pending = unpacking.asMap().remove(key);
        if (pending != null) {
            fallback(pending.layer(), millisSince(pending.startNanos()), delegate.usage(name).size());
        }
    }

    private void fallback(LayerLabels layer, long ms, long bytes) {
        log.atInfo().addKeyValue("image", layer.imageRef()).addKeyValue("layer", layer.layerDigest())
                .addKeyValue("mode", "fallback").addKeyValue("duration_ms", ms).addKeyValue("bytes", bytes)
                .log("pulled layer {} of {} by download in {} ms, {} bytes unpacked", layer.layerDigest(),
                        layer.imageRef(), ms, bytes);
    }

    @Override
    public void remove(String key) {
        delegate.remove(key);
        Pending abandoned = unpacking.asMap().remove(key);
        if (abandoned != null) {
            log.atInfo().addKeyValue("image", abandoned.layer().imageRef())
                    .addKeyValue("layer", abandoned.layer().layerDigest()).addKeyValue("mode", "fallback")
                    .addKeyValue("duration_ms", millisSince(abandoned.startNanos()))
                    .log("pull of layer {} of {} abandoned by containerd", abandoned.layer().layerDigest(),
                            abandoned.layer().imageRef());
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    @Override
    public SnapshotInfo stat(String key) {
        return delegate.stat(key);
    }

    @Override
    public SnapshotInfo update(SnapshotInfo info, List<String> fieldPaths) {
        return delegate.update(info, fieldPaths);
    }

    @Override
    public Usage usage(String key) {
        return delegate.usage(key);
    }

    @Override
    public List<MountSpec> mounts(String key) {
        return delegate.mounts(key);
    }

    @Override
    public List<MountSpec> view(String key, String parent, Map<String, String> labels) {
        return delegate.view(key, parent, labels);
    }

    @Override
    public void walk(InfoFilter filter, Consumer<SnapshotInfo> visitor) {
        delegate.walk(filter, visitor);
    }

    @Override
    public Census census() {
        return delegate.census();
    }

    @Override
    public void cleanup() {
        delegate.cleanup();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
