package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Registry;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.logging.PullLog;
import io.lazysnap.daemon.root.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code prefetch_timeout_sec}: the Prepare of a layer answers once its prioritised files are in the cache, so the
 * first container reads them locally; the pull log line says what was fetched by then.
 */
class PrefetchWaitTest {

    private static final int FILE = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void thePrepareAnswersWithThePrioritisedFilesCached() throws Exception {
        Logger pullLog = (Logger) LoggerFactory.getLogger(PullLog.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        pullLog.addAppender(lines);
        try (Registry registry = Registry.start(Files.createDirectories(tmp.resolve("registry")));
             RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
            Random random = new Random(3);
            byte[] first = new byte[FILE];
            byte[] later = new byte[FILE];
            random.nextBytes(first);
            random.nextBytes(later);
            EstargzImage image = EstargzImage.push(client, registry.host() + "/ops/prefetch:1",
                    Map.of("first.bin", first, "later.bin", later), Files.createDirectories(tmp.resolve("image")),
                    true, List.of("first.bin"));
            Path config = LazyLayers.config(tmp, registry, "no_background_fetch = true", "prefetch_timeout_sec = 60");
            Path root = tmp.resolve("root");
            Path socket = tmp.resolve("lazysnap.sock");
            try (Daemon ignored = Daemon.start(DaemonConfig.load(config).withOverrides(root, socket))) {
                LazyLayers.prepareLazily(socket, image, "chain-1");
                long cached = cachedBytes(root);
                assertTrue(cached >= FILE && cached < 2L * FILE, "first.bin alone is cached: " + cached);
            }
        } finally {
            pullLog.detachAppender(lines);
        }
        assertEquals(1, lines.list.size());
        Map<String, Object> fields = new HashMap<>();
        lines.list.get(0).getKeyValuePairs().forEach(kv -> fields.put(kv.key, kv.value));
        assertEquals("lazy", fields.get("mode"));
        assertTrue((Long) fields.get("bytes") > 0, "the prefetch was fetched before the answer: " + fields);
    }

    private static long cachedBytes(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(new Root(root).cache().resolve("chunks"))) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
