package io.lazysnap.systest;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code bin/lazysnap rpull} and {@code convert} as a user runs them against a {@link Stack}. */
final class LazysnapCli {

    private LazysnapCli() {
    }

    /** rpull through the stack's daemon into its containerd and namespace over plain HTTP; returns standard output. */
    static String rpull(Stack stack, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bin/lazysnap", "rpull", "--daemon",
                stack.lazysnap.socket.toString(), "--address", stack.containerdSocket.toString(), "--namespace",
                Stack.NAMESPACE, "--plain-http"));
        command.addAll(List.of(args));
        return Processes.run(Duration.ofMinutes(5), command);
    }

    /** convert between repositories of the stack's registry over plain HTTP; returns standard output. */
    static String convert(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bin/lazysnap", "convert", "--plain-http"));
        command.addAll(List.of(args));
        return Processes.run(Duration.ofMinutes(5), command);
    }
}
