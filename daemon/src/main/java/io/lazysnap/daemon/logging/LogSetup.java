package io.lazysnap.daemon.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Logback's configuration, in code rather than {@code logback.xml}: log lines go to standard error as
 * {@code time level [thread] logger - message}, INFO and up ({@link #LEVEL_PROPERTY}), netty's chatter muted. Found by logback through
 * {@code META-INF/services}; code, because parsing an XML configuration loads some 600 classes, a third of what
 * a short client command like {@code rpull} loads in all. {@link LogFormat} switches the daemon to JSON.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_TOP_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

    /** The root level to start with (default INFO): set by the client commands' {@code --log-level}. */
    public static final String LEVEL_PROPERTY = "lazysnap.log.level";
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{24} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty(LEVEL_PROPERTY), Level.INFO));
        root.addAppender(stderr);
        // gRPC's own debug lines (java.util.logging FINE, routed here) would drown the daemon's at --log-level debug.
        context.getLogger("io.grpc").setLevel(Level.INFO);
        context.getLogger("io.grpc.netty").setLevel(Level.WARN);
        // Client channels on unix sockets ignore TCP options; netty warns about each.
        context.getLogger("io.grpc.netty.shaded.io.netty.bootstrap").setLevel(Level.ERROR);
        // The JDK's HTTP server (the start-up's registry warm-up, the metrics endpoint) logs every exchange at debug.
        context.getLogger("com.sun.net.httpserver").setLevel(Level.INFO);
        // Each registry client's trust store lists every CA certificate at debug.
        context.getLogger("jdk.event.security").setLevel(Level.INFO);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Sends {@code java.util.logging} records (gRPC and netty log through it) to the daemon's log, so that every
     * line has the daemon's format, JSON included, and JUL's levels follow logback's (nothing below them is built).
     */
    public static void routeJavaUtilLogging() {
        LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        context.addListener(propagator);
        propagator.start();
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }
}
