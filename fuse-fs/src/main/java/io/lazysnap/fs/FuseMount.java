package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live libfuse mount: the thread running libfuse's loop, and unmounting, lazily when the mount is busy.
 * We run the loop ourselves rather than through jnr-fuse's {@code mount()}, which sleeps two seconds per mount
 * and registers a shutdown hook (holding the whole file system) that is never removed.
 */
final class FuseMount {

    private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);
    private static final long MOUNT_TIMEOUT_SECONDS = 30;
    private static final long UNMOUNT_TIMEOUT_SECONDS = 10;

    private final Path mountpoint;
    private final Thread loop;

    private FuseMount(Path mountpoint, Thread loop) {
        this.mountpoint = mountpoint;
        this.loop = loop;
    }

    /** Mounts and returns once the kernel serves the mount. */
    static FuseMount mount(LayerOps fs, Path mountpoint, List<String> options, String threadName)
            throws IOException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        if (!Files.isDirectory(mp)) {
            run("umount", "-l", mp.toString()); // a mount left behind by a dead process: "not connected"
            if (!Files.isDirectory(mp)) {
                throw new NotDirectoryException(mp.toString());
            }
        }
        String[] args = {"lazysnap", "-f", mp.toString(), "-o", String.join(",", options)};
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread loop = new Thread(() -> {
            try {
                exit.complete(FuseAdapter.loop(fs, args));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        }, threadName);
        loop.setDaemon(true);
        loop.start();
        FuseMount mount = new FuseMount(mp, loop);
        try {
            CompletableFuture.anyOf(fs.initialised(), exit).get(MOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mount.unmount();
            throw new IOException("interrupted while mounting " + mp, e);
        } catch (ExecutionException e) {
            throw new IOException("libfuse failed to mount " + mp, e.getCause());
        } catch (TimeoutException e) {
            mount.unmount();
            throw new IOException("the kernel did not initialise " + mp + " within " + MOUNT_TIMEOUT_SECONDS + " s");
        }
        if (exit.isDone()) {
            throw new IOException("libfuse failed to mount " + mp + " (exit status " + exit.join()
                    + "; its message is on stderr)");
        }
        return mount;
    }

    Path mountpoint() {
        return mountpoint;
    }

    /**
     * Unmounts and waits for libfuse's loop to end. A busy mount is detached lazily instead: it disappears from
     * the tree at once and its loop ends when the last open file is closed.
     */
    void unmount() throws IOException {
        if (!loop.isAlive()) {
            return;
        }
        String mp = mountpoint.toString();
        if (run("umount", mp) || run("fusermount3", "-u", mp) || run("fusermount", "-u", mp)) {
            awaitLoop();
            return;
        }
        if (!loop.isAlive()) {
            return; // unmounted by someone else meanwhile
        }
        LOG.warn("{} is busy: detaching it lazily", mp);
        if (!run("umount", "-l", mp) && !run("fusermount3", "-u", "-z", mp)) {
            throw new IOException("cannot unmount " + mp);
        }
    }

    boolean isServing() {
        return loop.isAlive();
    }

    private void awaitLoop() throws IOException {
        try {
            loop.join(TimeUnit.SECONDS.toMillis(UNMOUNT_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unmounting " + mountpoint, e);
        }
        if (loop.isAlive()) {
            LOG.warn("libfuse's loop for {} is still running {} s after unmount", mountpoint, UNMOUNT_TIMEOUT_SECONDS);
        }
    }

    /** Runs a command; true when it exits 0. */
    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(UNMOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            if (p.exitValue() != 0) {
                LOG.debug("{} exited {}: {}", String.join(" ", command), p.exitValue(), output);
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            LOG.debug("cannot run {}: {}", command[0], e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
