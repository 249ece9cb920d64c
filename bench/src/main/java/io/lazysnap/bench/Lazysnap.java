package io.lazysnap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How to run the lazysnap under test. {@link Main} copies this checkout's daemon jar aside first
 * ({@code -Dlazysnap.jar}), so a concurrent rebuild of the checkout cannot swap classes under a running
 * benchmark; without it, {@code bin/lazysnap} of the checkout runs.
 */
final class Lazysnap {

    static final String JAR_PROPERTY = "lazysnap.jar";

    private Lazysnap() {
    }

    /**
     * The command line for {@code lazysnap args...}; a private jar runs with the JVM options {@code bin/lazysnap}
     * gives the daemon ({@code packaging/serve.jvm}) and the quick JIT tier it gives clients.
     */
    static List<String> command(String... args) {
        String jar = System.getProperty(JAR_PROPERTY);
        List<String> command = new ArrayList<>();
        if (jar == null) {
            command.add(home().resolve("bin/lazysnap").toString());
        } else {
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dfile.encoding=UTF-8", args.length > 0 && args[0].equals("serve")
                            ? "@" + home().resolve("packaging/serve.jvm") : "-XX:TieredStopAtLevel=1", "-jar", jar));
        }
        command.addAll(List.of(args));
        return command;
    }

    /** A private copy of the checkout's daemon jar (built by {@code mvn package}). */
    static Path copyJar(Path dir) throws IOException {
        Path target = home().resolve("snapshotter-server/target");
        try (var jars = Files.list(target)) {
            Path jar = jars.filter(p -> p.getFileName().toString().matches("lazysnap-snapshotter-server-.*-all\\.jar"))
                    .findFirst().orElseThrow(() -> new IOException("no daemon jar in " + target + "; run mvn package"));
            return Files.copy(jar, dir.resolve("lazysnap-under-test.jar"));
        }
    }

    /** The checkout: {@code -Dlazysnap.home}, else the nearest directory above with {@code bin/lazysnap}. */
    static Path home() {
        String home = System.getProperty("lazysnap.home");
        if (home != null) {
            return Path.of(home);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("bin/lazysnap"))) {
                return p;
            }
        }
        throw new IllegalStateException("no bin/lazysnap above " + Path.of("").toAbsolutePath()
                + "; set -Dlazysnap.home to the checkout");
    }
}
