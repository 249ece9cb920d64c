package io.lazysnap.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Log levels for the client commands, whose own output is progress lines: logs only say what went wrong. */
final class CliLogging {

    private CliLogging() {
    }

    static void level(String name) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.toLevel(name, Level.WARN));
    }
}
