package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.daemon.progress.Progress;
import io.lazysnap.daemon.progress.Task;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class DownloadWatchTest {

    @Test
    void showsTheBytesOfEveryLayerStillDownloadingAndNoneOnceALayerIsDone() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicLong first = new AtomicLong();
        AtomicLong second = new AtomicLong();
        try (Progress progress = Progress.to(new PrintStream(out, true, StandardCharsets.UTF_8), false)) {
            Task a = progress.task("layer-a", 4096);
            Task b = progress.task("layer-b", 8192);
            try (DownloadWatch watch = new DownloadWatch(List.of(a, b), new long[] {4096, 8192},
                    i -> i == 0 ? first.get() : second.get())) {
                second.set(1000); // the second layer downloads ahead while the first is prepared
                waitFor(() -> b.done() == 1000);
                assertEquals("downloading", b.status());
                assertEquals("waiting", a.status(), "nothing downloaded of the first layer yet");
                second.set(5000);
                waitFor(() -> b.done() == 5000);
                watch.finished(1);
                b.status("unpacked");
                second.set(8192);
                first.set(4096);
                waitFor(() -> a.done() == 4096);
                assertEquals(5000, b.done(), "a finished layer's line is left alone");
                assertEquals("unpacked", b.status());
            }
        }
        String lines = out.toString(StandardCharsets.UTF_8);
        assertTrue(lines.contains("layer-b") && lines.contains("downloading"), lines);
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }
}
