package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The realistic image, HelloBench's python case: a Debian 12 minbase rootfs with {@code python3-minimal}, made
 * once by {@code debootstrap} into the bench cache, as one layer. Its workload is recorded, not guessed: the files
 * {@code python3 -c 'print("hello")'} opens under {@code strace} in a chroot of that rootfs.
 */
final class PythonContent {

    static final String FIRST_LINE = "hello";
    private static final Logger LOG = LoggerFactory.getLogger(PythonContent.class);
    private static final List<String> CMD = List.of("python3", "-c", "print(\"hello\")");
    private static final Pattern OPENED = Pattern.compile("(?:openat\\(AT_FDCWD, |execve\\()\"([^\"]+)\".*= \\d+$");

    private PythonContent() {
    }

    static ImageContent write(Path cache, Path dir) throws Exception {
        Path rootfs = cache.resolve("python3-rootfs");
        if (!Files.isDirectory(rootfs)) {
            debootstrap(cache, rootfs);
        }
        Path layer = Files.createDirectories(dir.resolve("layer-0"));
        // Device nodes and mount points are the runtime's business; apt's downloaded .debs and package lists
        // (85 MB) are what every real Debian image deletes.
        Processes.run(Duration.ofMinutes(5), List.of("sh", "-c", "tar -C " + rootfs
                + " --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* --exclude=./run/*"
                + " --exclude=./var/cache/apt/archives/*.deb --exclude=./var/lib/apt/lists/*"
                + " -cf - . | tar -C " + layer + " -xf -"));
        return new ImageContent(List.of(layer), CMD,
                List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), record(rootfs));
    }

    private static void debootstrap(Path cache, Path rootfs) throws Exception {
        LOG.info("creating the python3 rootfs with debootstrap (once; cached in {})", rootfs);
        Path staging = cache.resolve("python3-rootfs.tmp");
        Processes.run(Duration.ofMinutes(20), List.of("rm", "-rf", staging.toString()));
        Processes.run(Duration.ofMinutes(20), List.of("debootstrap", "--variant=minbase", "--include=python3-minimal",
                "bookworm", staging.toString(), "http://deb.debian.org/debian"));
        Files.move(staging, rootfs);
    }

    /** Paths python3 opened or executed, with every symlink on the way resolved inside the rootfs. */
    private static List<String> record(Path rootfs) throws Exception {
        Path trace = Files.createTempFile("lzs-bench-strace", ".log");
        try {
            List<String> command = new ArrayList<>(List.of("strace", "-f", "-e", "trace=openat,execve", "-o",
                    trace.toString(), "chroot", rootfs.toString()));
            command.addAll(CMD);
            Processes.run(Duration.ofMinutes(1), command);
            Set<String> paths = new LinkedHashSet<>();
            for (String line : Files.readAllLines(trace)) {
                Matcher m = OPENED.matcher(line);
                if (m.find() && !m.group(1).startsWith("/proc") && !m.group(1).startsWith("/dev")) {
                    addResolved(rootfs, m.group(1), paths);
                }
            }
            paths.removeIf(p -> !Files.isRegularFile(rootfs.resolve(p.substring(1)), LinkOption.NOFOLLOW_LINKS)
                    && !Files.isSymbolicLink(rootfs.resolve(p.substring(1))));
            return List.copyOf(paths);
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    /** Adds {@code path} and, component by component, every symlink it passes and where they lead. */
    private static void addResolved(Path rootfs, String path, Set<String> out) throws IOException {
        String resolved = "";
        String[] parts = path.substring(1).split("/");
        for (int i = 0; i < parts.length; i++) {
            String candidate = resolved + "/" + parts[i];
            Path onDisk = rootfs.resolve(candidate.substring(1));
            int hops = 0;
            while (Files.isSymbolicLink(onDisk) && hops++ < 16) {
                out.add(candidate);
                String target = Files.readSymbolicLink(onDisk).toString();
                candidate = target.startsWith("/") ? Path.of(target).normalize().toString()
                        : Path.of(candidate).getParent().resolve(target).normalize().toString();
                onDisk = rootfs.resolve(candidate.substring(1));
            }
            resolved = candidate;
        }
        out.add(resolved);
    }
}
