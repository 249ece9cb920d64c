package io.lazysnap.server.control;

import io.lazysnap.server.progress.ProgressSink;
import io.lazysnap.server.progress.Task;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a pull's progress to the client that asked for it. Byte counts go at most ten times a second, status changes
 * always. When the client has gone (its socket closed), the pull is interrupted: nobody waits for it any more, and
 * its lease is dropped as containerd's own clients drop theirs when cancelled.
 */
final class EventSink implements ProgressSink {

    private static final Logger log = LoggerFactory.getLogger(EventSink.class);
    private static final long COUNT_NANOS = 100_000_000L;

    private final Writer out;
    private final Thread puller;
    private long lastCount;
    private boolean gone;

    EventSink(Writer out, Thread puller) {
        this.out = out;
        this.puller = puller;
    }

    @Override
    public void changed(List<Task> tasks, Task task, boolean statusChanged) {
        long now = System.nanoTime();
        if (statusChanged || now - lastCount >= COUNT_NANOS) {
            lastCount = now;
            send(PullEvents.task(task, statusChanged));
        }
    }

    @Override
    public void message(List<Task> tasks, String text) {
        send(PullEvents.message(text));
    }

    @Override
    public void close(List<Task> tasks) {
        // The final state went with the last status change.
    }

    /** Sends a line now; false if the client is gone. Lines from the pull's threads never interleave. */
    synchronized boolean send(String line) {
        if (gone) {
            return false;
        }
        try {
            out.write(line);
            out.write('\n');
            out.flush();
            return true;
        } catch (IOException e) {
            gone = true;
            log.info("the client of a pull went away ({}); stopping that pull", e.getMessage());
            puller.interrupt();
            return false;
        }
    }
}
