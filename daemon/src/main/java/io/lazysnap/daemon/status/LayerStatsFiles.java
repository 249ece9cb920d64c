package io.lazysnap.daemon.status;

import io.lazysnap.fs.LayerStats;
import io.lazysnap.fs.MountedLayer;
import io.lazysnap.daemon.root.Root;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch counters of mounted layers, written every few seconds to {@code <root>/stats/<layer hex>.json} so that
 * {@code lazysnap inspect} can show them without talking to the daemon. A file exists while its layer is mounted.
 */
public final class LayerStatsFiles implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(LayerStatsFiles.class);
    private static final long PERIOD_SECONDS = 5;

    private final Path dir;
    private final Map<MountedLayer, LayerStats> written = new ConcurrentHashMap<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lazysnap-layer-stats");
        t.setDaemon(true);
        return t;
    });

    /** Starts writing under {@link Root#stats()}, first deleting what an earlier daemon left. */
    public LayerStatsFiles(Root root) throws IOException {
        this.dir = Files.createDirectories(root.stats());
        try (var old = Files.list(dir)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                Files.deleteIfExists(p);
            }
        }
        writer.scheduleWithFixedDelay(this::writeChanged, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    /** Follows {@code layer} until the returned handle closes {@code unmount} (which must unmount it). */
    public Closeable track(MountedLayer layer, Closeable unmount) {
        written.put(layer, new LayerStats(0, 0, 0, 0, 0, 0, 0, false, false));
        return () -> {
            try {
                unmount.close();
            } finally {
                if (written.remove(layer) != null) {
                    Files.deleteIfExists(file(layer.layerDigest()));
                }
            }
        };
    }

    /** The counters last written for a mounted layer, if it is mounted. */
    public static Optional<LayerStats> read(Root root, String layerDigest) throws IOException {
        Path file = root.stats().resolve(hex(layerDigest) + ".json");
        return JsonFiles.read(file, LayerStats.class);
    }

    private void writeChanged() {
        written.forEach((layer, last) -> {
            LayerStats now = layer.stats();
            if (!now.equals(last)) {
                try {
                    Path file = file(layer.layerDigest());
                    JsonFiles.replace(file, now);
                    if (!written.replace(layer, last, now)) {
                        Files.deleteIfExists(file); // unmounted meanwhile
                    }
                } catch (IOException e) {
                    log.debug("cannot write the stats of {}: {}", layer, e.toString());
                }
            }
        });
    }

    private Path file(String layerDigest) {
        return dir.resolve(hex(layerDigest) + ".json");
    }

    private static String hex(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}
