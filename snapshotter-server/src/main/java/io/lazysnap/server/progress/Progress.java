package io.lazysnap.server.progress;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Progress of a command that works through a list of tasks (image layers): one line per task. On a terminal the
 * lines are redrawn in place as bars; otherwise a plain line is printed whenever a task changes status, so that
 * logs and CI output stay readable. Thread-safe.
 */
public final class Progress implements AutoCloseable {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final List<Task> tasks = new ArrayList<>();
    private int linesDrawn;
    private long lastDraw;

    Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Bars when standard output is a terminal, plain lines otherwise. */
    public static Progress toStdout() {
        return new Progress(System.out, System.console() != null);
    }

    /** Adds a task line; {@code total} is its size in bytes, or 0 if unknown. */
    public synchronized Task task(String name, long total) {
        Task task = new Task(this, name, total);
        tasks.add(task);
        changed(task, true);
        return task;
    }

    /** Prints a line above the task lines. */
    public synchronized void message(String text) {
        if (terminal) {
            erase();
            out.println(text);
            draw();
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** Draws the final state of every task. */
    @Override
    public synchronized void close() {
        if (terminal) {
            erase();
            draw();
            out.flush();
        }
    }

    synchronized void changed(Task task, boolean statusChanged) {
        if (!terminal) {
            if (statusChanged) {
                out.println(ProgressLine.plain(task.name(), task.status(), task.total()));
                out.flush();
            }
            return;
        }
        long now = System.nanoTime();
        // Byte counts change on every read; redraw at most ten times a second, but never drop a status change.
        if (statusChanged || now - lastDraw >= REDRAW_NANOS) {
            erase();
            draw();
            out.flush();
            lastDraw = now;
        }
    }

    private void erase() {
        if (linesDrawn > 0) {
            out.print("\033[" + linesDrawn + "A");
        }
        for (int i = 0; i < linesDrawn; i++) {
            out.print("\033[2K\n");
        }
        if (linesDrawn > 0) {
            out.print("\033[" + linesDrawn + "A");
        }
        linesDrawn = 0;
    }

    private void draw() {
        for (Task t : tasks) {
            out.print("\r" + ProgressLine.render(t.name(), t.status(), t.done(), t.total()) + "\n");
        }
        linesDrawn = tasks.size();
    }
}
