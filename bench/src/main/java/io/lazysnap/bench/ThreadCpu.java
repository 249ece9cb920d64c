package io.lazysnap.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The snapshotter daemon's CPU time at one moment, for the debug timeline: each live thread's (from
 * {@code schedstat}, in nanoseconds), by name, and the whole process tree's, which also holds what threads that
 * have ended used. A thread's name is its first 15 characters ({@code comm}); the index in a pool's thread names
 * (after a {@code -}, {@code .} or {@code #}) becomes {@code #}, so that a pool's threads add up under one name.
 */
record ThreadCpu(Map<String, Long> nanosByThread, long totalMillis) {

    private static final Pattern POOL_INDEX = Pattern.compile("(?<=[-.#])[0-9]+");

    static ThreadCpu of(Node node) {
        Map<String, Long> byName = new TreeMap<>();
        long total = 0;
        for (ProcessHandle process : node.snapshotterTree()) {
            total += Node.cpuMillis(process);
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + process.pid() + "/task"))) {
                for (Path task : tasks) {
                    addThread(byName, task);
                }
            } catch (IOException | RuntimeException gone) {
                // The process ended meanwhile: its threads count among those that ended.
            }
        }
        return new ThreadCpu(byName, total);
    }

    private static void addThread(Map<String, Long> byName, Path task) {
        try {
            String name = POOL_INDEX.matcher(Files.readString(task.resolve("comm")).strip()).replaceAll("#");
            long nanos = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
            byName.merge(name, nanos, Long::sum);
        } catch (IOException | RuntimeException gone) {
            // The thread ended between the listing and the read: it counts among those that ended.
        }
    }

    /**
     * What each name used since {@code before}, busiest first, as {@code name=ms}, names under a millisecond left
     * out, and last the threads that ended meanwhile (within 10 ms: the process's own count is in those steps),
     * such as a pull's own threads: the tree's whole CPU time less what the live threads account for.
     */
    String since(ThreadCpu before) {
        Map<String, Long> millis = nanosByThread.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                e -> Math.max(0, e.getValue() - before.nanosByThread.getOrDefault(e.getKey(), 0L)) / 1_000_000));
        long ended = Math.max(0, totalMillis - before.totalMillis
                - millis.values().stream().mapToLong(Long::longValue).sum());
        return millis.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", ", "", ", threads that ended=" + ended));
    }
}
