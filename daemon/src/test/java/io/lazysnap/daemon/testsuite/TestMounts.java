package io.lazysnap.daemon.testsuite;

import io.lazysnap.daemon.snapshot.MountSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Performs the mounts a snapshotter describes the way containerd does, with mount(8): bind mounts (read-only when
 * asked) and overlays. An overlay whose options exceed what the kernel accepts in one page gets its lower
 * directories rewritten relative to their common parent, and mount runs from that directory, as containerd's
 * own mounter does for long layer chains.
 */
final class TestMounts {

    /** mount(2) copies at most one page of options; containerd keeps 512 bytes of headroom. */
    private static final int OPTIONS_LIMIT = 4096 - 512;

    private TestMounts() {
    }

    /** Mounts {@code mounts} on {@code target} in order. */
    static void mountAll(List<MountSpec> mounts, Path target) throws IOException {
        for (MountSpec m : mounts) {
            mount(m, target);
        }
    }

    private static void mount(MountSpec m, Path target) throws IOException {
        if (m.type().equals("bind")) {
            boolean recursive = m.options().contains("rbind");
            run(null, "mount", recursive ? "--rbind" : "--bind", m.source(), target.toString());
            if (m.options().contains("ro")) {
                run(null, "mount", "-o", "remount,bind,ro", target.toString());
            }
            return;
        }
        List<String> options = m.options();
        Path workingDir = null;
        if (String.join(",", options).getBytes(StandardCharsets.UTF_8).length > OPTIONS_LIMIT) {
            workingDir = commonLowerParent(options);
            options = relativeLowers(options, workingDir);
        }
        run(workingDir, "mount", "-t", m.type(), "-o", String.join(",", options), m.source(), target.toString());
    }

    private static Path commonLowerParent(List<String> options) throws IOException {
        Path common = null;
        for (String dir : lowerDirs(options)) {
            Path parent = Path.of(dir).getParent();
            if (common == null) {
                common = parent;
            }
            while (common != null && !parent.startsWith(common)) {
                common = common.getParent();
            }
        }
        if (common == null) {
            throw new IOException("overlay options too long and lower directories share no parent: " + options);
        }
        return common;
    }

    private static List<String> relativeLowers(List<String> options, Path base) {
        List<String> rewritten = new ArrayList<>();
        for (String option : options) {
            if (option.startsWith("lowerdir=")) {
                List<String> relative = lowerDirs(List.of(option)).stream()
                        .map(d -> base.relativize(Path.of(d)).toString()).toList();
                rewritten.add("lowerdir=" + String.join(":", relative));
            } else {
                rewritten.add(option);
            }
        }
        return rewritten;
    }

    private static List<String> lowerDirs(List<String> options) {
        return options.stream().filter(o -> o.startsWith("lowerdir="))
                .flatMap(o -> List.of(o.substring("lowerdir=".length()).split(":")).stream()).toList();
    }

    private static void run(Path workingDir, String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .directory(workingDir == null ? null : workingDir.toFile()).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
