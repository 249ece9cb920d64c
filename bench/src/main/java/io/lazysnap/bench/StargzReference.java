package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The reference implementation: stargz-snapshotter's daemon, built offline from Debian's Go packages by the
 * checkout's {@code scripts/build-stargz-snapshotter} (cached; minutes only the first time).
 */
final class StargzReference {

    private static Path binary;

    private StargzReference() {
    }

    static synchronized Path binary() throws IOException, InterruptedException {
        if (binary == null) {
            String out = Processes.run(Duration.ofMinutes(20),
                    List.of(Lazysnap.home().resolve("scripts/build-stargz-snapshotter").toString())).strip();
            binary = Path.of(out.substring(out.lastIndexOf('\n') + 1));
        }
        return binary;
    }
}
