package io.lazysnap.bench;

import java.util.List;

/**
 * Which time-to-first-start scenarios a run measures, and how often. {@code full} fits in about 20 minutes on
 * two cores once the images are cached; {@code quick} proves the harness works (every mode starts its container)
 * in about a minute; {@code python3} measures only the realistic image; {@code demo} is the README's first
 * command: one 256 MiB image, the full pull next to lazysnap's two ways in, once; {@code compare} is issue 12's
 * side-by-side run against stargz-snapshotter's own daemon: {@code rounds} rounds of one iteration per mode, so the
 * modes interleave and a slow spell of the machine hits all of them, reported as medians; {@code plain} is issue 15's
 * run of plain gzip images, containerd's full pull against lazysnap's parallel download and unpack, interleaved too.
 */
record Profile(String name, List<Scenario> scenarios, int iterations, int rounds, boolean micro) {

    /** One JMH invocation: the cross product of these images, modes and links. */
    record Scenario(List<String> images, List<String> modes, List<String> links) {
    }

    private static final String SLOW_LINK = "100mbit-20ms";
    private static final List<String> ALL_MODES = List.of("overlay", "lazysnap-rpull", "lazysnap-rpull-nolm",
            "ctr-remote-rpull", "lazysnap-cri", "stargz-ref");
    private static final List<String> MAIN_MODES = List.of("overlay", "lazysnap-rpull", "ctr-remote-rpull",
            "stargz-ref");
    /** Issue 15: plain gzip images, containerd's own full pull against lazysnap's parallel download and unpack. */
    private static final List<String> PLAIN_MODES = List.of("overlay", "lazysnap-rpull-gzip", "lazysnap-cri-gzip");
    private static final List<String> VERSUS_REFERENCE = List.of("stargz-ref", "lazysnap-rpull", "lazysnap-cri");

    static Profile named(String name) {
        return switch (name) {
            case "full" -> new Profile(name, List.of(
                    new Scenario(List.of("1024m-2pct", "python3"), ALL_MODES, List.of(SLOW_LINK)),
                    new Scenario(List.of("100m-2pct", "100m-10pct", "100m-100pct"), MAIN_MODES, List.of(SLOW_LINK)),
                    new Scenario(List.of("100m-2pct"), MAIN_MODES, List.of("1gbit-2ms"))), 2, 1, true);
            case "python3" -> new Profile(name, List.of(
                    new Scenario(List.of("python3"), ALL_MODES, List.of(SLOW_LINK))), 2, 1, false);
            case "quick" -> new Profile(name, List.of(
                    new Scenario(List.of("16m-10pct"), ALL_MODES, List.of(SLOW_LINK))), 1, 1, false);
            case "demo" -> new Profile(name, List.of(
                    new Scenario(List.of("256m-2pct"), List.of("overlay", "lazysnap-rpull", "lazysnap-cri"),
                            List.of(SLOW_LINK))), 1, 1, false);
            case "compare" -> new Profile(name, List.of(
                    new Scenario(List.of("1024m-2pct", "python3"), VERSUS_REFERENCE, List.of(SLOW_LINK)),
                    new Scenario(List.of("100m-2pct"), List.of("overlay", "stargz-ref", "lazysnap-rpull",
                            "lazysnap-cri"), List.of("1gbit-2ms"))), 1, 5, false);
            case "plain" -> new Profile(name, List.of(
                    new Scenario(List.of("100m-2pct", "python3"), PLAIN_MODES, List.of("1gbit-2ms", SLOW_LINK)),
                    new Scenario(List.of("1024m-2pct"), PLAIN_MODES, List.of("1gbit-2ms", SLOW_LINK)),
                    // Read completely: pulled whole by lazysnap ([unpack] whole_pull_prefetch_share).
                    new Scenario(List.of("100m-100pct"), List.of("overlay", "lazysnap-rpull", "lazysnap-cri"),
                            List.of("1gbit-2ms", SLOW_LINK))), 1, 3, false);
            default -> throw new IllegalArgumentException(
                    "profile is full, python3, quick, demo, compare or plain, not " + name);
        };
    }
}
