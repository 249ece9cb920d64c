package io.lazysnap.cli;

import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.cli.inspect.CachePrune;
import io.lazysnap.daemon.root.Root;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lazysnap cache prune}: empties the disk chunk cache of a stopped daemon. */
@Command(name = "cache", mixinStandardHelpOptions = true, description = "Manage the chunk cache.",
        subcommands = CacheCommand.Prune.class)
final class CacheCommand {

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Delete every cached chunk under ROOT/cache (they are fetched again on demand)."
                    + " Refused while a daemon serves ROOT: stop it first (systemctl stop lazysnap).")
    static final class Prune implements Callable<Integer> {

        @Option(names = "--root", description = "State directory (default: " + DaemonConfig.DEFAULT_ROOT + ")")
        Path root = Path.of(DaemonConfig.DEFAULT_ROOT);

        @Override
        public Integer call() throws Exception {
            Root state = new Root(root);
            Optional<CachePrune.Freed> freed = CachePrune.prune(state);
            if (freed.isEmpty()) {
                System.err.println("lazysnap cache prune: a running lazysnap serves " + root
                        + "; stop it first (systemctl stop lazysnap), its cache is in use");
                return 1;
            }
            System.out.printf("pruned %d chunk files, %d bytes, from %s%n", freed.get().files(), freed.get().bytes(),
                    state.cache());
            return 0;
        }
    }
}
