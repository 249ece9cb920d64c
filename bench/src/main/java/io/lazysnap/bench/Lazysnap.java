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
     * The command line for {@code lazysnap args...}: the checkout's {@code bin/lazysnap}, the launcher users run
     * (daemon options from {@code packaging/serve.jvm}; rpull through the Perl relay), on the private jar when there
     * is one.
     */
    static List<String> command(String... args) {
        return onJar(System.getProperty(JAR_PROPERTY), args);
    }

    private static List<String> onJar(String jar, String... args) {
        List<String> command = new ArrayList<>();
        if (jar != null) {
            command.addAll(List.of("env", "LAZYSNAP_JAR=" + jar));
        }
        command.add(home().resolve("bin/lazysnap").toString());
        command.addAll(List.of(args));
        return command;
    }

    /** A private copy of the checkout's daemon jar (built by {@code mvn package}). */
    static Path copyJar(Path dir) throws IOException {
        Path target = home().resolve("cli/target");
        try (var jars = Files.list(target)) {
            Path jar = jars.filter(p -> p.getFileName().toString().matches("lazysnap-cli-.*-all\\.jar"))
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
