package io.lazysnap.testkit;

import java.util.ArrayList;
import java.util.List;

/** Runs every teardown step even when some fail; the first failure is thrown with the others suppressed. */
public final class Cleanup {

    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private final List<Exception> failures = new ArrayList<>();

    public Cleanup step(Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failures.add(e);
        }
        return this;
    }

    public void done() throws Exception {
        if (!failures.isEmpty()) {
            Exception first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }
}
