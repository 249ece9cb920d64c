package io.lazysnap.cli;

import io.lazysnap.daemon.logging.LogSetup;
import picocli.CommandLine.Option;

/**
 * The {@code --log-level} option of the client commands, whose own output is progress lines: logs only say what
 * went wrong unless asked for more. Mixed into each command with {@code @Mixin}.
 */
final class CliLogging {

    @Option(names = "--log-level", defaultValue = "warn", description = "error, warn, info or debug (default: ${DEFAULT-VALUE})")
    String level;

    /**
     * Sets the level logging will start with. Logging itself starts only when something logs: most client runs
     * log nothing, and setting logback up is a fifth of a short command's start-up.
     */
    void apply() {
        System.setProperty(LogSetup.LEVEL_PROPERTY, level);
    }
}
