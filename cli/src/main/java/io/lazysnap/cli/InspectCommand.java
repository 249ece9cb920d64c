package io.lazysnap.cli;

import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.cli.inspect.SnapshotInspection;
import io.lazysnap.daemon.root.Root;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lazysnap inspect}: one snapshot or layer in detail. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a snapshot (by containerd's key) or a layer (by digest): labels; for remote layers the"
                + " TOC summary, disk cache residency and what the mount fetched so far.",
                "Reads ROOT only (no network); safe while the daemon runs."})
final class InspectCommand implements Callable<Integer> {

    @Option(names = "--root", description = "State directory (default: " + DaemonConfig.DEFAULT_ROOT + ")")
    Path root = Path.of(DaemonConfig.DEFAULT_ROOT);

    @Parameters(paramLabel = "SNAPSHOT|LAYER", description = "a snapshot key or a layer digest (sha256:…)")
    String what;

    @Override
    public Integer call() throws Exception {
        if (!SnapshotInspection.print(new Root(root), what, System.out)) {
            System.err.println("lazysnap inspect: no snapshot or layer " + what + " in " + root
                    + " (lazysnap ls lists them)");
            return 1;
        }
        return 0;
    }
}
