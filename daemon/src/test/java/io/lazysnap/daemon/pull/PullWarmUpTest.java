package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PullWarmUpTest {

    @Test
    void runsWithoutFailingAndLeavesNoThreadBehind() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        PullWarmUp.run();
        Set<String> left = Set.of();
        for (int i = 0; i < 100; i++) {
            left = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                    .map(Thread::getName).collect(Collectors.toSet());
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(Set.of(), left, "threads the warm-up started and left running");
    }
}
