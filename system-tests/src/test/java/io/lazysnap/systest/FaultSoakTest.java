package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Digests;
import io.lazysnap.testkit.Fault;
import io.lazysnap.testkit.FaultProxy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Registry faults during lazy reads, through the real stack: a container reads every file of a 200 MiB eStargz
 * image, checking each against its digest, while a {@link FaultProxy} between lazysnap and the registry resets
 * connections, answers 503 and 429, stalls past the timeout, cuts and shortens bodies, shifts Content-Range and
 * flips bytes. Every read gets the right bytes or EIO, never a wrong byte, none waits past the configured
 * timeouts; another image keeps being served meanwhile; once the faults stop, every file reads back right.
 */
class FaultSoakTest {

    private static final int FILES = 100;
    private static final int FILE_BYTES = 2 << 20;
    /** {@code [blob]}: short timeouts so stalls resolve quickly; a read's whole budget is {@code range_timeout_sec}. */
    private static final int FETCHING_TIMEOUT_SEC = 2;
    private static final int RANGE_TIMEOUT_SEC = 20;
    /** One line per file: its sha256 (busybox's format) or EIO, then the seconds the read took. */
    private static final String READ_ALL = """
            for f in /srv/soak/blob-*; do
              start=$(busybox date +%s)
              if sum=$(busybox sha256sum "$f" 2>/dev/null); then line="$sum"; else line="EIO  $f"; fi
              echo "$line $(( $(busybox date +%s) - start ))"
            done
            """;
    private static final Pattern LINE = Pattern.compile("(\\S+)  (/srv/soak/blob-\\d+) (\\d+)");

    private static final Map<String, String> SUMS = new HashMap<>();
    private static Stack stack;
    private static FaultProxy faults;
    private static String soak;
    private static String other;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start((dir, registry) -> {
            faults = FaultProxy.start(registry);
            // Lazy reads alone: no prefetch, no background fetch to bring the layer in around the faults.
            return """
                    noprefetch = true
                    no_background_fetch = true
                    [blob]
                    fetching_timeout_sec = %d
                    range_timeout_sec = %d
                    max_retries = 3
                    min_wait_msec = 20
                    max_wait_msec = 200
                    """.formatted(FETCHING_TIMEOUT_SEC, RANGE_TIMEOUT_SEC);
        });
        Path src = Files.createDirectories(stack.dir.resolve("soak-src"));
        Path data = Files.createDirectories(src.resolve("data/srv/soak"));
        Random random = new Random(16);
        byte[] bytes = new byte[FILE_BYTES];
        for (int i = 0; i < FILES; i++) {
            random.nextBytes(bytes);
            Path file = Files.write(data.resolve("blob-" + i), bytes);
            SUMS.put("/srv/soak/blob-" + i, Digests.sha256(file).substring("sha256:".length()));
        }
        String plain = stack.pushBusyboxWith("soak", src, List.of("sh"));
        // Pushed to the registry, pulled through the fault proxy: the same repository under the proxy's host.
        LazysnapCli.convert(plain, stack.registry + "/systest/soak:esgz");
        soak = faults.host() + "/systest/soak:esgz";

        Path otherSrc = Files.createDirectories(stack.dir.resolve("other-src"));
        Files.createDirectories(otherSrc.resolve("data/srv"));
        Files.writeString(otherSrc.resolve("data/srv/other.txt"), "served meanwhile\n");
        other = stack.registry + "/systest/other:esgz";
        LazysnapCli.convert(stack.pushBusyboxWith("other", otherSrc, List.of("cat", "/srv/other.txt")), other);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (faults != null) {
            faults.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyReadGetsTheRightBytesOrEioAndAllSucceedOnceTheFaultsStop() throws Exception {
        LazysnapCli.rpull(stack, soak);
        // The shell and busybox come from the image too: read them before the faults, so that only the files
        // under test meet them.
        stack.ctr("run", "--rm", "--snapshotter", "lazysnap", soak, "soak-warm", "busybox", "sha256sum", "/bin/busybox");
        long retriesBefore = retries();
        List<Supplier<Fault>> kinds = List.of(Fault::reset, () -> Fault.status(503), () -> Fault.status(429),
                Fault::stall, Fault::stallMidBody, Fault::truncate, Fault::shortBody, Fault::alterMiddleByte,
                Fault::shiftContentRange);
        AtomicInteger injected = new AtomicInteger();
        ScheduledExecutorService injector = Executors.newSingleThreadScheduledExecutor();
        // At most one pending fault, a new one 150 ms after the last was served, each kind in turn: bad answers
        // among good ones, as a flaky registry gives them.
        injector.scheduleWithFixedDelay(() -> {
            if (faults.faultsLeft() == 0) {
                faults.inject(kinds.get(injected.getAndIncrement() % kinds.size()).get());
            }
        }, 0, 150, TimeUnit.MILLISECONDS);
        int requestsBefore = faults.requests();
        Map<String, Long> faulty;
        String otherOutput;
        try {
            CompletableFuture<String> meanwhile = CompletableFuture.supplyAsync(() -> {
                try {
                    LazysnapCli.rpull(stack, other);
                    return stack.ctr("run", "--rm", "--snapshotter", "lazysnap", other, "soak-other");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            faulty = readAll("soak-faulty");
            otherOutput = meanwhile.get(5, TimeUnit.MINUTES);
        } finally {
            injector.shutdownNow();
        }
        injector.awaitTermination(10, TimeUnit.SECONDS);
        int requestsDuringFaults = faults.requests() - requestsBefore;
        int faultsServed = injected.get() - faults.clearFaults();
        Map<String, Long> after = readAll("soak-after");
        long retries = retries() - retriesBefore;
        System.out.printf("fault soak: %d MiB, %d files; under faults: %d read right, %d EIO, %d wrong, slowest %d s; "
                        + "%d registry requests, %d faults served, %d retries logged; after: %d right, %d EIO, %d wrong%n",
                FILES * (long) FILE_BYTES >> 20, FILES, faulty.get("ok"), faulty.get("eio"), faulty.get("wrong"),
                faulty.get("slowest"), requestsDuringFaults, faultsServed, retries, after.get("ok"), after.get("eio"),
                after.get("wrong"));

        assertEquals(0, faulty.get("wrong"), "no read returned a wrong byte under faults\n" + stack.logs());
        assertEquals(FILES, faulty.get("ok") + faulty.get("eio"), "every file was read to an outcome");
        assertTrue(faulty.get("ok") > 0 && faultsServed > 10, "the faults hit reads that still succeeded: "
                + faulty + ", " + faultsServed + " faults\n" + stack.logs());
        assertTrue(faulty.get("slowest") <= RANGE_TIMEOUT_SEC * 2L + 5, "a read waited "
                + faulty.get("slowest") + " s: longer than the range timeout allows (two requests per 4 MiB chunk)");
        assertTrue(retries > 0, "the daemon retried\n" + stack.logs());
        assertEquals("served meanwhile\n", otherOutput, "another image was served during the faults");
        assertEquals(Map.of("ok", (long) FILES, "eio", 0L, "wrong", 0L), Map.of("ok", after.get("ok"), "eio",
                after.get("eio"), "wrong", after.get("wrong")), "every file reads back right once the faults stop\n"
                + stack.logs());
    }

    /** Retried registry requests the daemon has logged so far (a resumed body included). */
    private static long retries() throws IOException {
        return stack.lazysnap.logCount("Retrying ") + stack.lazysnap.logCount(" again: ");
    }

    /** Runs {@link #READ_ALL} in a new container of the soak image; counts right, EIO and wrong reads, and the slowest. */
    private static Map<String, Long> readAll(String container) throws Exception {
        String output = stack.ctr("run", "--rm", "--snapshotter", "lazysnap", soak, container, "sh", "-c", READ_ALL);
        Map<String, Long> counts = new HashMap<>(Map.of("ok", 0L, "eio", 0L, "wrong", 0L, "slowest", 0L));
        Matcher m = LINE.matcher(output);
        int files = 0;
        while (m.find()) {
            files++;
            String outcome = m.group(1).equals("EIO") ? "eio" : m.group(1).equals(SUMS.get(m.group(2))) ? "ok" : "wrong";
            counts.merge(outcome, 1L, Long::sum);
            counts.merge("slowest", Long.parseLong(m.group(3)), Math::max);
        }
        assertEquals(FILES, files, "one line per file:\n" + output + "\n" + stack.logs());
        return counts;
    }
}
