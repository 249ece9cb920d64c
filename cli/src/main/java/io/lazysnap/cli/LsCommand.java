package io.lazysnap.cli;

import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.cli.inspect.SnapshotListing;
import io.lazysnap.daemon.root.Root;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lazysnap ls}: the snapshots of a root, running daemon or not. */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = {"List snapshots: id, kind, remote or plain, FUSE mount state of remote layers (MISSING: not"
                + " served), layer digest, parent and containerd's key.",
                "Reads ROOT/metadata.db read-only; safe while the daemon runs."})
final class LsCommand implements Callable<Integer> {

    @Option(names = "--root", description = "State directory (default: " + DaemonConfig.DEFAULT_ROOT + ")")
    Path root = Path.of(DaemonConfig.DEFAULT_ROOT);

    @Override
    public Integer call() throws Exception {
        SnapshotListing.print(new Root(root), System.out);
        return 0;
    }
}
