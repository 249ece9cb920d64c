package io.lazysnap.daemon.progress;

import java.io.PrintStream;
import java.util.List;

/**
 * Progress on a console: on a terminal the task lines are redrawn in place as bars; otherwise a plain line is
 * printed whenever a task changes status, so that logs and CI output stay readable.
 */
final class ConsoleSink implements ProgressSink {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private int linesDrawn;
    private long lastDraw;

    ConsoleSink(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void changed(List<Task> tasks, Task task, boolean statusChanged) {
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
            draw(tasks);
            out.flush();
            lastDraw = now;
        }
    }

    @Override
    public void message(List<Task> tasks, String text) {
        if (terminal) {
            erase();
            out.println(text);
            draw(tasks);
        } else {
            out.println(text);
        }
        out.flush();
    }

    @Override
    public void close(List<Task> tasks) {
        if (terminal) {
            erase();
            draw(tasks);
            out.flush();
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

    private void draw(List<Task> tasks) {
        for (Task t : tasks) {
            out.print("\r" + ProgressLine.render(t.name(), t.status(), t.done(), t.total()) + "\n");
        }
        linesDrawn = tasks.size();
    }
}
