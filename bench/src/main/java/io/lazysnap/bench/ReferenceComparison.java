package io.lazysnap.bench;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;

/**
 * lazysnap against the reference measured in the same run ({@code stargz-ref}: stargz-snapshotter's daemon and
 * {@code ctr-remote}): lazysnap / reference ratios for TTFS, bytes before the first line and daemon peak RSS
 * (lower is better), and issue 12's acceptance targets.
 */
final class ReferenceComparison {

    static final String REFERENCE = "stargz-ref";
    private static final List<String> LAZYSNAP_MODES = List.of("lazysnap-rpull", "lazysnap-cri", "ctr-remote-rpull");

    /** Issue 12's acceptance per scenario: TTFS ratio bound of rpull to the reference, RSS bound (MiB, 0 = none). */
    private record Target(String link, String image, double ttfsRatio, long rssMib) {
    }

    private static final List<Target> TARGETS = List.of(new Target("100mbit-20ms", "1024m-2pct", 0.8, 128),
            new Target("100mbit-20ms", "python3", 1.0, 96), new Target("1gbit-2ms", "100m-2pct", 1.0, 0));

    /** One mode of one scenario: median TTFS and bytes, maximum RSS. */
    private record Summary(double ttfs, double bytes, long rss) {
    }

    private final Map<String, List<RunResult>> groups;
    private final List<Measurement> measurements;

    /** @param groups results by "link image" */
    ReferenceComparison(Map<String, List<RunResult>> groups, List<Measurement> measurements) {
        this.groups = groups;
        this.measurements = measurements;
    }

    String markdown() {
        StringBuilder table = new StringBuilder();
        StringBuilder checks = new StringBuilder();
        for (Map.Entry<String, List<RunResult>> e : groups.entrySet()) {
            String[] key = e.getKey().split(" ", 2);
            Map<String, Summary> byMode = summaries(key[0], key[1], e.getValue());
            Summary ref = byMode.get(REFERENCE);
            if (ref == null) {
                continue;
            }
            for (String mode : LAZYSNAP_MODES) {
                Summary s = byMode.get(mode);
                if (s != null) {
                    table.append("| %s | %s | %s | %.0f / %.0f | %.2f | %.1f / %.1f | %.2f | %d / %d | %.2f |\n"
                            .formatted(key[0], key[1], mode, s.ttfs, ref.ttfs, s.ttfs / ref.ttfs, s.bytes / 1e6,
                                    ref.bytes / 1e6, s.bytes / ref.bytes, s.rss >> 20, ref.rss >> 20,
                                    (double) s.rss / ref.rss));
                }
            }
            checks.append(checks(key[0], key[1], byMode));
        }
        if (table.isEmpty()) {
            return "";
        }
        return "\nAgainst the reference (stargz-snapshotter's daemon + `ctr-remote image rpull`, same run; "
                + "lazysnap / reference, lower is better):\n\n"
                + "| link | image | lazysnap mode | TTFS ms (lazysnap / ref) | TTFS ratio | MB before first line "
                + "| bytes ratio | peak RSS MiB | RSS ratio |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n"
                + table + "\nTargets (issue 12):\n\n" + checks;
    }

    private Map<String, Summary> summaries(String link, String image, List<RunResult> group) {
        Map<String, Summary> byMode = new LinkedHashMap<>();
        for (String mode : List.of(REFERENCE, "overlay", "lazysnap-rpull", "lazysnap-cri", "ctr-remote-rpull")) {
            ResultsTable.score(group, mode).ifPresent(ttfs -> {
                List<Measurement> ms = Measurements.of(measurements, link, image, mode);
                byMode.put(mode, new Summary(ttfs, Measurements.median(ms, Measurement::bytesBeforeStart),
                        ms.stream().mapToLong(Measurement::daemonPeakRss).max().orElse(0)));
            });
        }
        return byMode;
    }

    private static String checks(String link, String image, Map<String, Summary> byMode) {
        Summary rpull = byMode.get("lazysnap-rpull");
        if (rpull == null) {
            return "";
        }
        Summary ref = byMode.get(REFERENCE);
        StringBuilder md = new StringBuilder();
        for (Target t : TARGETS) {
            if (t.link.equals(link) && t.image.equals(image)) {
                md.append(check(link, image, "TTFS rpull / reference", rpull.ttfs / ref.ttfs, t.ttfsRatio));
                if (t.rssMib > 0) {
                    md.append(check(link, image, "daemon peak RSS MiB", rpull.rss / (double) (1 << 20), t.rssMib));
                }
            }
        }
        md.append(check(link, image, "bytes before first line, rpull / reference", rpull.bytes / ref.bytes, 1.0));
        Summary cri = byMode.get("lazysnap-cri");
        if (cri != null) {
            md.append(check(link, image, "TTFS CRI / rpull", cri.ttfs / rpull.ttfs, 1.0));
        }
        Summary overlay = byMode.get("overlay");
        if (overlay != null) {
            md.append(check(link, image, "TTFS rpull / overlay full pull", rpull.ttfs / overlay.ttfs, 1.0));
        }
        return md.toString();
    }

    private static String check(String link, String image, String what, double value, double bound) {
        return "- %s @ %s: %s = %.2f (target ≤ %s): %s\n".formatted(image, link, what, value,
                BigDecimal.valueOf(bound).stripTrailingZeros().toPlainString(), value <= bound ? "met" : "MISSED");
    }
}
