package io.lazysnap.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code lazysnap}: the daemon and its tools. */
@Command(name = "lazysnap", mixinStandardHelpOptions = true, version = "lazysnap 0.1.0",
        description = "A containerd remote snapshotter that lazily mounts eStargz layers.",
        subcommands = {ServeCommand.class, RpullCommand.class, ConvertCommand.class, VerifyCommand.class,
                SignCommand.class, CacheCommand.class, LsCommand.class,
                InspectCommand.class, DoctorCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
