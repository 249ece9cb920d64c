package io.lazysnap.daemon.progress;

import java.util.List;

/** Shows a {@link Progress}; called with the progress's lock held, with every task so far. */
interface ProgressSink {

    /** {@code task} was added ({@code statusChanged} true) or changed. */
    void changed(List<Task> tasks, Task task, boolean statusChanged);

    /** A line to show above the task lines. */
    void message(List<Task> tasks, String text);

    /** The work is over; {@code tasks} are in their final state. */
    void close(List<Task> tasks);
}
