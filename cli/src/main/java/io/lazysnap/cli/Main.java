package io.lazysnap.cli;

import java.util.Arrays;
import java.util.Optional;
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
        Optional<Class<?>> sub = args.length == 0 ? Optional.empty() : subcommand(args[0]);
        if (sub.isPresent()) {
            // Only the command asked for: picocli models every subcommand it is given, a tenth of a second that a
            // client on a container's start-up path (rpull) should not pay.
            CommandLine one = new CommandLine(sub.get()).setCommandName("lazysnap " + args[0]);
            System.exit(one.execute(Arrays.copyOfRange(args, 1, args.length)));
        }
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** The subcommand class named {@code name}, as the {@code @Command} annotations list them. */
    static Optional<Class<?>> subcommand(String name) {
        return Arrays.stream(Main.class.getAnnotation(Command.class).subcommands())
                .filter(c -> c.getAnnotation(Command.class).name().equals(name)).findFirst();
    }
}
