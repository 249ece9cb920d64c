package io.lazysnap.daemon.progress;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Progress of a command that works through a list of tasks (image layers): one line per task, shown by a
 * {@link ProgressSink}: a console, this process's or a pull client's at the other end of the control socket.
 * Thread-safe.
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

    /** Progress on {@code out}: bars for a terminal, plain lines otherwise. */
    public static Progress to(PrintStream out, boolean terminal) {
        return new Progress(out, terminal);
    }


    /** Adds a task line; {@code total} is its size in bytes, or 0 if unknown. */
    public synchronized Task task(String name, long total) {
        Task task = new Task(this, name, total);
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
