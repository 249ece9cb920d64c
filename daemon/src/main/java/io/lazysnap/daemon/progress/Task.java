package io.lazysnap.daemon.progress;

import java.util.concurrent.atomic.AtomicLong;

/** One line of {@link Progress}: a name, a status word and a byte count. */
public final class Task {

    private final Progress owner;
    private final String name;
    private volatile String status = "waiting";
    private final AtomicLong done = new AtomicLong();
    private volatile long total;

    Task(Progress owner, String name, long total) {
        this.owner = owner;
        this.name = name;
        this.total = total;
    }

    /** Sets the status word (e.g. "fetching") and the size of the work it stands for (0: unknown). */
    public void status(String newStatus, long newTotal) {
        this.status = newStatus;
        this.total = newTotal;
        this.done.set(0);
        owner.changed(this, true);
    }

    /** Sets the status word, keeping the byte count. */
    public void status(String newStatus) {
        this.status = newStatus;
        owner.changed(this, true);
    }

    /** Ends the task with a final status word and the size of what it produced, shown as a full bar. */
    public void finish(String finalStatus, long size) {
        this.status = finalStatus;
        this.total = size;
        this.done.set(size);
        owner.changed(this, true);
    }

    /** Counts {@code bytes} more of the current work. */
    public void advance(long bytes) {
        done.addAndGet(bytes);
        owner.changed(this, false);
    }

    public String name() {
        return name;
    }

    public String status() {
        return status;
    }

    /** Bytes of the current work done. */
    public long done() {
        return done.get();
    }

    /** Bytes of the current work, 0 if unknown. */
    public long total() {
        return total;
    }
}
