package io.lazysnap.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The {@code --log-level} option of the client commands, whose own output is progress lines: logs only say what
 * went wrong unless asked for more. Mixed into each command with {@code @Mixin}.
 */
final class CliLogging {

    @Option(names = "--log-level", defaultValue = "warn", description = "error, warn, info or debug (default: ${DEFAULT-VALUE})")
    String level;

    /** Applies the chosen level to the root logger. */
    void apply() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.toLevel(level, Level.WARN));
    }
}
