package io.lazysnap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where generated images (as registry storage) and the debootstrap rootfs are kept between runs:
 * {@code $LAZYSNAP_BENCH_CACHE}, default {@code /var/cache/lazysnap-bench}. Deleting it only costs a rebuild.
 */
final class BenchCache {

    private BenchCache() {
    }

    static Path dir() throws IOException {
        String env = System.getenv("LAZYSNAP_BENCH_CACHE");
        return Files.createDirectories(Path.of(env != null ? env : "/var/cache/lazysnap-bench"));
    }
}
