package io.lazysnap.daemon.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LogSetupTest {

    @Test
    void javaUtilLoggingRecordsReachTheDaemonsLogAtTheirLevelAndFinerOnesDoNot() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.setContext(root.getLoggerContext());
        seen.start();
        root.addAppender(seen);
        try {
            LogSetup.routeJavaUtilLogging();
            java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.lazysnap.test.jul");
            jul.warning("a netty warning");
            jul.fine("chatter below INFO");
            assertEquals(1, seen.list.stream().filter(e -> e.getLoggerName().equals("io.lazysnap.test.jul")).count(),
                    seen.list.toString());
            ILoggingEvent event = seen.list.stream().filter(e -> e.getLoggerName().equals("io.lazysnap.test.jul"))
                    .findFirst().orElseThrow();
            assertEquals("a netty warning", event.getFormattedMessage());
            assertEquals(ch.qos.logback.classic.Level.WARN, event.getLevel());
            assertTrue(!jul.isLoggable(java.util.logging.Level.FINE), "JUL follows logback's INFO");
        } finally {
            root.detachAppender(seen);
            org.slf4j.bridge.SLF4JBridgeHandler.uninstall();
        }
    }
}
