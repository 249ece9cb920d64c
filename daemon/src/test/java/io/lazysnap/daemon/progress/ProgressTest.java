package io.lazysnap.daemon.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void barFillsInProportionAndShowsBinarySizes() {
        assertEquals("abc                 fetching     [===============>              ] 512.0 KiB / 1.0 MiB",
                ProgressLine.render("abc", "fetching", 512 << 10, 1 << 20));
        assertEquals("abc                 fetching     [==============================] 1.0 MiB / 1.0 MiB",
                ProgressLine.render("abc", "fetching", 1 << 20, 1 << 20));
        assertEquals("abc                 fetching     [>                             ] 0 B / 1.0 MiB",
                ProgressLine.render("abc", "fetching", -5, 1 << 20));
    }

    @Test
    void sizesHaveOneDecimalRoundedHalfUpInTheUnitTheyAreUnder1024Of() {
        assertEquals("1023 B", ProgressLine.bytes(1023));
        assertEquals("1.0 KiB", ProgressLine.bytes(1024));
        assertEquals("1.3 KiB", ProgressLine.bytes(1280)); // 1.25: half up, not half even
        assertEquals("1.3 MiB", ProgressLine.bytes(1_310_720)); // 1.25 MiB
        assertEquals("1.0 KiB", ProgressLine.bytes(1075)); // 1.0498
        assertEquals("1.1 KiB", ProgressLine.bytes(1076)); // 1.0508
        assertEquals("1023.9 KiB", ProgressLine.bytes(1_048_473));
        assertEquals("1.0 MiB", ProgressLine.bytes((1 << 20) - 1)); // 1023.999 KiB rounds to a MiB
        assertEquals("3.7 GiB", ProgressLine.bytes(3_973_000_000L));
        assertEquals("1024.0 TiB", ProgressLine.bytes(1L << 50));
    }

    @Test
    void overshootIsClampedAndUnknownTotalsShowOnlyCounts() {
        assertTrue(ProgressLine.render("abc", "x", 5000, 10).endsWith("] 10 B / 10 B"));
        assertEquals("abc                 pushing      2.0 GiB", ProgressLine.render("abc", "pushing", 2L << 30, 0));
        assertEquals("abc                 waiting", ProgressLine.render("abc", "waiting", 0, 0));
    }

    @Test
    void longNamesAreCutWithAnEllipsis() {
        assertEquals("0123456789abcdefgh…", ProgressLine.fit("0123456789abcdefghijkl", 19));
        assertEquals(19, ProgressLine.render("0123456789abcdefghijkl", "s", 0, 0).indexOf(" s"));
    }

    @Test
    void plainOutputPrintsOneLinePerStatusChangeAndNoEscapes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false)) {
            Task task = progress.task("layer", 2048);
            task.status("fetching", 2048);
            task.advance(1024);
            task.advance(1024);
            task.status("applied");
            progress.message("done");
        }
        assertEquals("""
                layer               waiting      2.0 KiB
                layer               fetching     2.0 KiB
                layer               applied      2.0 KiB
                done
                """, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void terminalOutputRedrawsTheTaskLinesInPlace() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true)) {
            progress.task("one", 0);
            progress.task("two", 0).status("done");
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("\033[2A"), "moves up over the two drawn lines: " + out.replace("\033", "ESC"));
        String[] screen = out.substring(out.lastIndexOf("\033[2A") + 4).split("\n");
        assertTrue(screen[screen.length - 2].startsWith("\rone"), out);
        assertTrue(screen[screen.length - 1].startsWith("\rtwo                 done"), out);
    }
}
