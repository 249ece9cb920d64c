package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bench/run [full|python3|quick|demo|compare|plain] [--no-micro]}: runs the time-to-first-start scenarios of the
 * profile and the micro-benchmarks through JMH, then writes {@code bench/results/<date>-<host>[-<profile>].md}.
 */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);
    private static final String MICRO = "\\.(TocParse|ChunkDecompress|FuseRead|FuseColdRead|SnapshotLookup)\\.";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        List<String> list = List.of(args);
        Profile profile = Profile.named(list.stream().filter(a -> !a.startsWith("--")).findFirst().orElse("full"));
        boolean micro = profile.micro() && !list.contains("--no-micro");
        Path work = Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-main-");
        try {
            run(profile, micro, work);
        } finally {
            Processes.run("rm", "-rf", work.toString());
        }
    }

    private static void run(Profile profile, boolean micro, Path work) throws Exception {
        Path side = work.resolve("side.jsonl");
        Path jar = Lazysnap.copyJar(work);
        String home = Lazysnap.home().toString();
        long started = System.nanoTime();

        List<RunResult> ttfs = new ArrayList<>();
        for (int round = 1; round <= profile.rounds(); round++) {
            LOG.info("round {} of {}", round, profile.rounds());
            for (Profile.Scenario s : profile.scenarios()) {
                ttfs.addAll(run(base(side, home, jar).include("\\.TimeToFirstStart\\.")
                        .param("image", s.images().toArray(String[]::new))
                        .param("mode", s.modes().toArray(String[]::new))
                        .param("link", s.links().toArray(String[]::new))
                        .measurementIterations(profile.iterations())));
            }
        }
        List<RunResult> micros = micro ? new ArrayList<>(run(base(side, home, jar).include(MICRO))) : List.of();

        String host = Processes.run("hostname", "-s").strip();
        Path out = Path.of(home, "bench", "results", LocalDate.now() + "-" + host
                + (profile.name().equals("full") ? "" : "-" + profile.name()) + ".md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, new ResultsTable(profile, ttfs, micros, SideResults.measurements(side),
                SideResults.notes(side), (System.nanoTime() - started) / 1_000_000_000).markdown());
        LOG.info("wrote {}", out);
        System.out.println("results: " + out);
    }

    private static ChainedOptionsBuilder base(Path side, String home, Path jar) {
        // A failing scenario must not cost the others; the table marks what has no result.
        return new OptionsBuilder().shouldFailOnError(false)
                .jvmArgsAppend("-D" + SideResults.PROPERTY + "=" + side, "-Dlazysnap.home=" + home,
                        "-D" + Lazysnap.JAR_PROPERTY + "=" + jar, "-Dfile.encoding=UTF-8");
    }

    private static Collection<RunResult> run(ChainedOptionsBuilder options) throws Exception {
        return new Runner(options.build()).run();
    }
}
