package io.lazysnap.server.progress;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Progress of a command that works through a list of tasks (image layers): one line per task, shown by a
 * {@link ProgressSink} (the console, or a client on the other end of a socket). Thread-safe.
 */
public final class Progress implements AutoCloseable {

    private final ProgressSink sink;
    private final List<Task> tasks = new ArrayList<>();

    private Progress(ProgressSink sink) {
        this.sink = sink;
    }

    Progress(PrintStream out, boolean terminal) {
        this(new ConsoleSink(out, terminal));
    }

    /** Bars when standard output is a terminal, plain lines otherwise. */
    public static Progress toStdout() {
        return new Progress(System.out, System.console() != null);
    }

    /** Progress shown by {@code sink}. */
    public static Progress to(ProgressSink sink) {
        return new Progress(sink);
    }

    /** Adds a task line; {@code total} is its size in bytes, or 0 if unknown. */
    public synchronized Task task(String name, long total) {
        Task task = new Task(this, tasks.size(), name, total);
        tasks.add(task);
        sink.changed(tasks, task, true);
        return task;
    }

    /** Prints a line above the task lines. */
    public synchronized void message(String text) {
        sink.message(tasks, text);
    }

    /** Shows the final state of every task. */
    @Override
    public synchronized void close() {
        sink.close(tasks);
    }

    synchronized void changed(Task task, boolean statusChanged) {
        sink.changed(tasks, task, statusChanged);
    }
}
