package io.lazysnap.systest;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/lazysnap rpull} and {@code convert} as a user runs them against a {@link Stack}; rpull through the
 * launcher's Perl relay unless {@code LAZYSNAP_RPULL_JVM} asks for the Java client.
 */
final class LazysnapCli {

    private LazysnapCli() {
    }

    /** rpull through the stack's daemon into its containerd and namespace over plain HTTP; returns standard output. */
    static String rpull(Stack stack, String... args) throws IOException, InterruptedException {
        return rpull(Map.of(), stack, args);
    }

    /** rpull with {@code environment} added, e.g. {@code LAZYSNAP_RPULL_JVM=1} for the Java client. */
    static String rpull(Map<String, String> environment, Stack stack, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("--plain-http"));
        command.addAll(List.of(args));
        return rpullOverTls(environment, stack, command.toArray(String[]::new));
    }

    /** rpull through the stack's daemon into its containerd and namespace, over HTTPS unless args say otherwise. */
    static String rpullOverTls(Map<String, String> environment, Stack stack, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bin/lazysnap", "rpull", "--daemon",
                stack.lazysnap.socket.toString(), "--address", stack.containerdSocket().toString(), "--namespace",
                Stack.NAMESPACE));
        command.addAll(List.of(args));
        return Processes.run(Duration.ofMinutes(5), environment, command);
    }

    /** convert between repositories of the stack's registry over plain HTTP; returns standard output. */
    static String convert(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bin/lazysnap", "convert", "--plain-http"));
        command.addAll(List.of(args));
        return Processes.run(Duration.ofMinutes(5), command);
    }
}
