package io.lazysnap.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What serving layers through FUSE needs from the node: the {@code /dev/fuse} device, read-write, and libfuse 2
 * (the library the mounts are made with). The daemon checks at start, so that a missing package turns lazy
 * pulling off with one clear warning instead of failing every lazy Prepare later; {@code lazysnap doctor} shows
 * the same findings.
 */
public final class FuseSupport {

    /** Where the dynamic loader finds libraries on Debian-like and other common layouts. */
    private static final List<String> LIBRARY_DIRS = List.of("/lib", "/usr/lib", "/lib64", "/usr/lib64",
            "/usr/local/lib", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu");
    public static final String LIBFUSE = "libfuse.so.2";
    public static final String LIBFUSE_FIX = "apt-get install libfuse2 (Debian 12: libfuse2; the mounts use libfuse 2)";

    /** A thing FUSE lacks, and how to fix it. */
    public record Problem(String what, String fix) {
        @Override
        public String toString() {
            return what + " (fix: " + fix + ")";
        }
    }

    private FuseSupport() {
    }

    /** The first thing this node lacks for FUSE mounts, if any. */
    public static Optional<Problem> check() {
        return device(Path.of("/dev/fuse")).or(() -> libfuse().isPresent() ? Optional.empty()
                : Optional.of(new Problem(LIBFUSE + " is not installed", LIBFUSE_FIX)));
    }

    /** What is wrong with the FUSE device {@code device}, if anything. */
    public static Optional<Problem> device(Path device) {
        if (!Files.exists(device)) {
            return Optional.of(new Problem("the FUSE device " + device + " is missing",
                    "modprobe fuse (in a container: run it with --device /dev/fuse and CAP_SYS_ADMIN)"));
        }
        if (!Files.isReadable(device) || !Files.isWritable(device)) {
            return Optional.of(new Problem("the FUSE device " + device + " is not readable and writable by this user",
                    "run lazysnap as root"));
        }
        return Optional.empty();
    }

    /** Where libfuse 2 is installed. */
    public static Optional<Path> libfuse() {
        return LIBRARY_DIRS.stream().map(d -> Path.of(d, LIBFUSE)).filter(Files::exists).findFirst();
    }
}
