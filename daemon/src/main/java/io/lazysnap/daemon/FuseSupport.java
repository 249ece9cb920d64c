package io.lazysnap.daemon;

import io.lazysnap.fs.FuseSelfTest;
import io.lazysnap.daemon.mount.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What serving layers through FUSE needs from the node: the {@code /dev/fuse} device, read-write (the mounts are
 * made with mount(2) by the daemon itself, so no libfuse and no fusermount). The daemon checks at start, then
 * mounts and reads a test layer ({@link FuseSelfTest}), so that a missing package or a broken FUSE turns lazy pulling off with one clear warning
 * instead of failing every lazy Prepare later; {@code lazysnap doctor} shows the same findings.
 */
public final class FuseSupport {

    private static final Logger log = LoggerFactory.getLogger(FuseSupport.class);

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
        return device(Path.of("/dev/fuse"));
    }

    /**
     * Mounts and reads a test layer at {@code mountpoint}; what failed, if anything. A mount left there by a daemon
     * that was killed during its test is detached first.
     */
    static Optional<Problem> selfTest(Path mountpoint) {
        long start = System.nanoTime();
        try {
            if (Mounter.isMountPoint(mountpoint)) {
                Mounter.unmount(mountpoint);
            }
            FuseSelfTest.run(mountpoint);
            Files.deleteIfExists(mountpoint);
        } catch (IOException | RuntimeException | LinkageError e) {
            log.debug("FUSE self-test failed", e);
            return Optional.of(new Problem("a test layer could not be mounted and read through FUSE at " + mountpoint
                    + ": " + e, "run `lazysnap doctor`, and check the kernel log (dmesg) for FUSE errors"));
        }
        log.info("FUSE self-test passed in {} ms", (System.nanoTime() - start) / 1_000_000);
        return Optional.empty();
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
}
