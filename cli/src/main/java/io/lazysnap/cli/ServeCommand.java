package io.lazysnap.cli;

import ch.qos.logback.classic.Level;
import io.lazysnap.daemon.Daemon;
import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.daemon.logging.LogFormat;
import io.lazysnap.daemon.logging.LogSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lazysnap serve}: runs the snapshotter daemon until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve containerd's snapshots API (configure containerd with a proxy_plugins entry).")
final class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--root", description = "State directory (default: " + DaemonConfig.DEFAULT_ROOT + ")")
    Path root;

    @Option(names = "--address", description = "Unix socket to serve on (default: " + DaemonConfig.DEFAULT_ADDRESS + ")")
    Path address;

    @Option(names = "--config", description = "TOML configuration file")
    Path config;

    @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug or trace")
    String logLevel;

    /**
     * Tells the launcher that the class-data archive this JVM writes as it exits comes from a daemon that started and
     * stopped cleanly, so it is worth keeping (packaging/lazysnap.in).
     */
    private static void vouchForClassArchive() {
        String recording = System.getProperty("lazysnap.class-archive");
        if (recording != null) {
            try {
                Files.writeString(Path.of(recording + ".served"), "");
            } catch (IOException e) {
                log.debug("cannot mark the class-data archive {} as complete: {}", recording, e.toString());
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                .setLevel(Level.toLevel(logLevel, Level.INFO));
        DaemonConfig settings = (config == null ? DaemonConfig.defaults() : DaemonConfig.load(config))
                .withOverrides(root, address);
        LogFormat.apply(settings.logFormat());
        LogSetup.routeJavaUtilLogging();
        CountDownLatch stop = new CountDownLatch(1);
        AtomicBoolean started = new AtomicBoolean();
        // Handled signals (rather than a shutdown hook) let a requested stop exit 0, as service managers expect. Set
        // before the start: a stop requested while the daemon starts (its socket already answers containerd) lets the
        // start finish, then stops it like any other, instead of killing it half-way; a second one ends a start that
        // does not finish.
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (stop.getCount() == 0 && !started.get()) {
                    log.warn("SIG{} received again while starting: exiting now", name);
                    System.exit(128 + signal.getNumber());
                }
                log.info("SIG{} received, shutting down", name);
                stop.countDown();
            });
        }
        Daemon daemon = Daemon.start(settings);
        started.set(true);
        stop.await();
        daemon.closeForRestart();
        vouchForClassArchive();
        return 0;
    }
}
