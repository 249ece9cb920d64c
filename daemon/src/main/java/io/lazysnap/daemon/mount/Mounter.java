package io.lazysnap.daemon.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Finds and detaches mount points, with umount(8) and /proc/self/mountinfo. */
public final class Mounter {

    private Mounter() {
    }

    /** Unmounts {@code target}, lazily detaching it if it is busy. */
    public static void unmount(Path target) throws IOException {
        try {
            run("umount", target.toString());
        } catch (IOException busy) {
            run("umount", "-l", target.toString());
        }
    }

    /** Whether {@code path} is a mount point, by /proc/self/mountinfo (a dead FUSE mount cannot even be stat'ed). */
    public static boolean isMountPoint(Path path) throws IOException {
        String wanted = path.toAbsolutePath().normalize().toString().replace(" ", "\\040");
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.split(" ")[4].equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command[0], e);
        }
    }
}
