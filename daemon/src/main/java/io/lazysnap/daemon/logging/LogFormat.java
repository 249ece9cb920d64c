package io.lazysnap.daemon.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Switches the daemon's log lines (standard error, as {@link LogSetup} sets them up) between text and JSON. */
public final class LogFormat {

    private LogFormat() {
    }

    /**
     * {@code json}: one object per line with timestamp, level, thread, logger, the formatted message, key-value
     * pairs (image, layer, mode, ...) and any stack trace, for journald/Fluent Bit/Loki pipelines. {@code text}:
     * leaves {@link LogSetup}'s pattern.
     */
    public static void apply(String format) {
        if (!format.equals("json")) {
            return;
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        JsonEncoder json = new JsonEncoder();
        json.setContext(context);
        // The raw message and its arguments would repeat the formatted message; context and sequence are noise.
        json.setWithMessage(false);
        json.setWithArguments(false);
        json.setWithFormattedMessage(true);
        json.setWithContext(false);
        json.setWithSequenceNumber(false);
        json.setWithNanoseconds(false);
        json.start();
        Iterator<Appender<ILoggingEvent>> appenders = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
        while (appenders.hasNext()) {
            if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> stream) {
                stream.stop();
                stream.setEncoder(json);
                stream.start();
            }
        }
    }
}
