package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * The results file: machine and link, then one time-to-first-start table per link and image with each mode's
 * ratio to the overlayfs baseline of the same run, the acceptance targets, and the micro-benchmarks.
 */
final class ResultsTable {

    /** Issue 8's acceptance: image, link, minimum speed-up of lazysnap over the full pull. */
    private record Target(String image, String link, double speedup) {
    }

    private static final List<Target> TARGETS = List.of(new Target("1024m-2pct", "100mbit-20ms", 15),
            new Target("python3", "100mbit-20ms", 5));

    private final Profile profile;
    private final List<RunResult> ttfs;
    private final List<RunResult> micros;
    private final List<Measurement> measurements;
    private final List<SideResults.Note> notes;
    private final long seconds;

    ResultsTable(Profile profile, List<RunResult> ttfs, List<RunResult> micros, List<Measurement> measurements,
                 List<SideResults.Note> notes, long seconds) {
        this.profile = profile;
        this.ttfs = ttfs;
        this.micros = micros;
        this.measurements = measurements;
        this.notes = notes;
        this.seconds = seconds;
    }

    String markdown() throws Exception {
        StringBuilder md = new StringBuilder();
        md.append("# lazysnap bench: ").append(profile.name()).append(" profile, ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append("\n\n");
        md.append("Machine: ").append(machine()).append(". Whole run: ").append(seconds / 60).append(" min ")
                .append(seconds % 60).append(" s.\n\n");
        notes.stream().filter(n -> n.key().startsWith("shaping ")).map(n -> "- link " + n.key().substring(8)
                + ": " + n.value() + "\n").distinct().forEach(md::append);
        md.append("\nTime to first start (TTFS): from \"pull requested\" to the container's first line of output, ")
                .append("cold node each iteration; JMH SingleShotTime, mean of ").append(profile.iterations())
                .append(" iteration(s)").append(profile.rounds() > 1 ? ", median of " + profile.rounds()
                        + " interleaved rounds" : "")
                .append(". `vs overlay` = overlay TTFS / this TTFS (higher is better). MB and RSS are medians and ")
                .append("maxima over the iterations; RSS is the snapshotter daemon's (lazysnap's or, for stargz-ref, ")
                .append("stargz-snapshotter's) VmHWM summed over its process tree.\n\n");
        md.append("| link | image | mode | TTFS ms | vs overlay | MB from registry before first line | "
                + "% of image | daemon peak RSS MiB |\n|---|---|---|---:|---:|---:|---:|---:|\n");
        Map<String, List<RunResult>> groups = groups();
        for (List<RunResult> group : groups.values()) {
            Optional<Double> overlay = score(group, "overlay");
            for (String mode : modes(group)) {
                md.append(row(group, mode, overlay));
            }
        }
        md.append(missing());
        md.append("\n").append(targets());
        md.append(plainTargets(groups));
        md.append(new ReferenceComparison(groups, measurements).markdown());
        if (profile.rounds() > 1) {
            md.append("\n").append(jmhRows());
        }
        if (!micros.isEmpty()) {
            md.append("\n").append(microTable());
        }
        return md.toString();
    }

    /** Results by "link image", in name order. */
    private Map<String, List<RunResult>> groups() {
        return new TreeMap<>(ttfs.stream()
                .collect(Collectors.groupingBy(r -> param(r, "link") + " " + param(r, "image"))));
    }

    /** The modes of a group in the order they ran. */
    private static List<String> modes(List<RunResult> group) {
        return group.stream().map(r -> param(r, "mode")).distinct().toList();
    }

    private String row(List<RunResult> group, String mode, Optional<Double> overlay) {
        RunResult r = group.get(0);
        String image = param(r, "image");
        String link = param(r, "link");
        List<Measurement> ms = Measurements.of(measurements, link, image, mode);
        double bytes = Measurements.median(ms, Measurement::bytesBeforeStart);
        long imageBytes = ms.stream().mapToLong(Measurement::imageBytes).max().orElse(0);
        long rss = ms.stream().mapToLong(Measurement::daemonPeakRss).max().orElse(0);
        double score = score(group, mode).orElseThrow();
        return "| %s | %s | %s | %.0f | %s | %.1f | %.1f %% | %s |\n".formatted(link, image, mode, score,
                overlay.map(o -> "%.1f×".formatted(o / score)).orElse("–"), bytes / 1e6,
                100 * bytes / imageBytes, rss == 0 ? "–" : Long.toString(rss >> 20));
    }

    /**
     * Every JMH result of an interleaved run, in the order they ran; a scenario's round is how often it ran so far
     * (a failed scenario has no result, so the position in the list does not tell the round).
     */
    private String jmhRows() {
        StringBuilder md = new StringBuilder("JMH results, one per round and mode (SingleShotTime, ms):\n\n"
                + "| round | link | image | mode | TTFS ms |\n|---:|---|---|---|---:|\n");
        Map<String, Integer> rounds = new HashMap<>();
        for (RunResult r : ttfs) {
            int round = rounds.merge(param(r, "link") + " " + param(r, "image") + " " + param(r, "mode"), 1,
                    Integer::sum);
            md.append("| %d | %s | %s | %s | %.0f |\n".formatted(round, param(r, "link"), param(r, "image"),
                    param(r, "mode"), r.getPrimaryResult().getScore()));
        }
        return md.toString();
    }

    /** Scenarios of the profile without a result: they failed; the run's log says why. */
    private String missing() {
        StringBuilder md = new StringBuilder();
        for (Profile.Scenario s : profile.scenarios()) {
            for (String link : s.links()) {
                for (String image : s.images()) {
                    for (String mode : s.modes()) {
                        boolean measured = ttfs.stream().anyMatch(r -> param(r, "link").equals(link)
                                && param(r, "image").equals(image) && param(r, "mode").equals(mode));
                        if (!measured) {
                            md.append("| %s | %s | %s | failed (see the run's log) | | | | |\n"
                                    .formatted(link, image, mode));
                        }
                    }
                }
            }
        }
        return md.toString();
    }

    /** Issue 8's targets that this run measured; empty when none was (e.g. the compare profile has no overlay there). */
    private String targets() {
        StringBuilder md = new StringBuilder("Targets (issue 8):\n\n");
        boolean measured = false;
        for (Target t : TARGETS) {
            List<RunResult> group = ttfs.stream()
                    .filter(r -> param(r, "image").equals(t.image()) && param(r, "link").equals(t.link())).toList();
            Optional<Double> overlay = score(group, "overlay");
            Optional<Double> lazy = score(group, "lazysnap-rpull");
            if (overlay.isEmpty() || lazy.isEmpty()) {
                md.append("- ").append(t.image()).append(" @ ").append(t.link()).append(": not measured in this profile\n");
                continue;
            }
            measured = true;
            double speedup = overlay.get() / lazy.get();
            md.append("- %s @ %s: lazysnap rpull %.1f× faster than the overlayfs full pull (target ≥ %.0f×): %s\n"
                    .formatted(t.image(), t.link(), speedup, t.speedup(), speedup >= t.speedup() ? "met" : "MISSED"));
        }
        return measured ? md.toString() : "";
    }

    /**
     * Issue 15's targets that this run measured: plain gzip images pulled by lazysnap's parallel download and
     * unpack at most 0.7x containerd's full pull at 1 Gbit/s and 1.0x at 100 Mbit/s, and an eStargz image read
     * completely no slower than its full pull.
     */
    private static String plainTargets(Map<String, List<RunResult>> groups) {
        StringBuilder md = new StringBuilder();
        for (List<RunResult> group : groups.values()) {
            Optional<Double> overlay = score(group, "overlay");
            String image = param(group.get(0), "image");
            String link = param(group.get(0), "link");
            boolean readsAll = image.endsWith("-100pct");
            for (String mode : readsAll ? List.of("lazysnap-rpull", "lazysnap-cri")
                    : List.of("lazysnap-rpull-gzip", "lazysnap-cri-gzip")) {
                Optional<Double> ours = score(group, mode);
                if (overlay.isEmpty() || ours.isEmpty()) {
                    continue;
                }
                double limit = !readsAll && link.startsWith("1gbit") ? 0.7 : 1.0;
                double ratio = ours.get() / overlay.get();
                md.append("- %s @ %s: %s / overlay = %.2f (target ≤ %.1f): %s\n".formatted(image, link, mode, ratio,
                        limit, ratio <= limit ? "met" : "MISSED"));
            }
        }
        return md.isEmpty() ? "" : "\nTargets (issue 15):\n\n" + md;
    }

    private String microTable() {
        StringBuilder md = new StringBuilder("Micro-benchmarks (JMH; `ops/s` of ChunkDecompress and "
                + "FuseRead.sequentialWarm are MiB/s, of FuseRead.random4k reads/s):\n\n"
                + "| benchmark | source | mode | score | ± error | unit |\n"
                + "|---|---|---|---:|---:|---|\n");
        for (RunResult r : micros) {
            Statistics s = r.getPrimaryResult().getStatistics();
            String source = r.getParams().getParam("source");
            md.append("| %s | %s | %s | %.1f | %s | %s |\n".formatted(
                    r.getParams().getBenchmark().replace("io.lazysnap.bench.", ""), source == null ? "" : source,
                    r.getParams().getMode().shortLabel(), s.getMean(),
                    s.getN() > 2 ? "%.1f".formatted(r.getPrimaryResult().getScoreError()) : "",
                    r.getPrimaryResult().getScoreUnit()));
        }
        md.append("\n");
        notes.stream().filter(n -> n.key().startsWith("toc ")).map(n -> "- " + n.key() + ": " + n.value() + "\n")
                .distinct().forEach(md::append);
        return md.toString();
    }

    /** The median over rounds of a mode's JMH score in a group. */
    static Optional<Double> score(List<RunResult> group, String mode) {
        double[] scores = group.stream().filter(r -> param(r, "mode").equals(mode))
                .mapToDouble(r -> r.getPrimaryResult().getScore()).toArray();
        return scores.length == 0 ? Optional.empty() : Optional.of(Measurements.median(scores));
    }

    static String param(RunResult r, String name) {
        return r.getParams().getParam(name);
    }

    private static String machine() throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
        return String.format(Locale.ROOT, "%d cores (%s), %.0f GiB RAM, Linux %s, JDK %s, %s",
                Runtime.getRuntime().availableProcessors(), cpu,
                Double.parseDouble(Processes.run("sh", "-c", "awk '/MemTotal/{print $2}' /proc/meminfo").strip())
                        / (1 << 20),
                Processes.run("uname", "-r").strip(), System.getProperty("java.version"),
                Processes.run("containerd", "--version").strip().replaceAll("\\s+[0-9a-f]{40}$", ""));
    }
}
