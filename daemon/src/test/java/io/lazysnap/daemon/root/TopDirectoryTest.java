package io.lazysnap.daemon.root;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void anExt4DirectoryIsMarkedOnceAndKeepsItsOtherFlags() throws Exception {
        assumeTrue(run("stat", "-f", "-c", "%T", dir.toString()).strip().equals("ext2/ext3"),
                "the temporary directory is on ext2/3/4");
        run("chattr", "+A", dir.toString()); // noatime: another flag, which marking must keep

        TopDirectory.mark(dir);
        String marked = run("lsattr", "-d", dir.toString());
        TopDirectory.mark(dir);

        String flags = marked.split(" ")[0];
        assertTrue(flags.contains("T"), flags);
        assertTrue(flags.contains("A"), flags);
        assertEquals(marked, run("lsattr", "-d", dir.toString()), "marking again changes nothing");
    }

    @Test
    void somethingThatIsNotADirectoryIsLeftAlone() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        String before = run("lsattr", file.toString());

        TopDirectory.mark(file);
        TopDirectory.mark(dir.resolve("missing"));

        assertEquals(before, run("lsattr", file.toString()));
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }
}
