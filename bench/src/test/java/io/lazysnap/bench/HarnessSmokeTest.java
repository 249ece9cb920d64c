package io.lazysnap.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Keeps the harness from rotting: every time-to-first-start mode pulls and starts the small image once behind
 * the shaped link, through the benchmark's own setup and teardown. Asserts that containers start and bytes are
 * counted, never a timing; the JMH run itself is {@code bench/run}.
 */
class HarnessSmokeTest {

    @Test
    void everyModeStartsItsContainerBehindTheShapedLink() throws Exception {
        Path side = Files.createTempFile("lzs-bench-side", ".jsonl");
        System.setProperty(SideResults.PROPERTY, side.toString());
        try {
            for (PullMode mode : PullMode.values()) {
                TimeToFirstStart bench = new TimeToFirstStart();
                bench.image = "16m-10pct";
                bench.mode = mode.label;
                bench.link = "100mbit-20ms";
                bench.bringUpLink();
                try {
                    bench.coldNode();
                    assertEquals(SyntheticContent.FIRST_LINE, bench.firstStart(), mode.label);
                    bench.checkAndStop();
                } finally {
                    bench.tearDownLink();
                }
            }
            var measured = SideResults.measurements(side);
            assertEquals(PullMode.values().length, measured.size(), measured.toString());
            assertTrue(measured.stream().allMatch(m -> m.bytesBeforeStart() > 0), measured.toString());
            assertTrue(measured.stream().filter(m -> !m.mode().equals("overlay"))
                    .allMatch(m -> m.daemonPeakRss() > 0), measured.toString());
            assertTrue(SideResults.notes(side).stream().anyMatch(n -> n.value().contains("tbf")
                    || n.value().contains("userspace")), "the link says how it was shaped");
        } finally {
            System.clearProperty(SideResults.PROPERTY);
            Files.deleteIfExists(side);
        }
    }
}
