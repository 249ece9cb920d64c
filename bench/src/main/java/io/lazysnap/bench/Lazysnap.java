package io.lazysnap.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where this checkout's {@code bin/lazysnap} is: {@code -Dlazysnap.home}, else the nearest enclosing checkout. */
final class Lazysnap {

    private Lazysnap() {
    }

    static Path binary() {
        String home = System.getProperty("lazysnap.home");
        if (home != null) {
            return Path.of(home, "bin", "lazysnap");
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("bin/lazysnap"))) {
                return p.resolve("bin/lazysnap");
            }
        }
        throw new IllegalStateException("no bin/lazysnap above " + Path.of("").toAbsolutePath()
                + "; set -Dlazysnap.home to the checkout");
    }
}
