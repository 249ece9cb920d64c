package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PullWarmUpTest {

    @Test
    void runsThePullsLocalCodeAndLeavesNoThreadBehind() throws Exception {
        PullWarmUp.run();
        List<Thread> left = List.of();
        for (int i = 0; i < 100; i++) {
            left = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("pull-progress"))
                    .toList();
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(List.of(), left, "the progress poller of the warm-up's pull is stopped");
    }
}
