package io.lazysnap.cli.inspect;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** What is mounted where, from {@code /proc/self/mountinfo}: mount point → file system type. */
final class MountTable {

    private MountTable() {
    }

    static Map<Path, String> read() throws IOException {
        Map<Path, String> types = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (f.length > 4 && dash > 0 && dash + 1 < f.length) {
                types.put(Path.of(unescape(f[4])), f[dash + 1]);
            }
        }
        return types;
    }

    /** The kernel writes space, tab, newline and backslash in paths as octal escapes. */
    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
