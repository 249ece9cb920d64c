package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.CriPod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The timed action: from "pull requested" until the container's first line of output, one {@link PullMode}. */
final class FirstStart {

    private static final Logger LOG = LoggerFactory.getLogger(FirstStart.class);
    /**
     * LAZYSNAP_BENCH_DEBUG=1: when each step ended and the snapshotter's CPU, to read against the daemons' logs (which
     * it turns to debug level); {@code timeline}: the same with the daemons at their usual level, whose debug logging
     * would add to their CPU.
     */
    static final boolean DAEMONS_DEBUG = "1".equals(System.getenv("LAZYSNAP_BENCH_DEBUG"));
    static final boolean TIMELINE = DAEMONS_DEBUG || "timeline".equals(System.getenv("LAZYSNAP_BENCH_DEBUG"));
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private FirstStart() {
    }

    /** A container that has printed {@link #firstLine}; {@link #awaitExit} is not part of the timed action. */
    interface Started {
        String firstLine();

        void awaitExit() throws Exception;
    }

    /** Pulls and runs {@code ref} on {@code node}; returns once the container printed its first line. */
    static Started run(Node node, PullMode mode, String ref, CriPod pod) throws Exception {
        if (TIMELINE) {
            LOG.info("pull of {} requested (snapshotter CPU so far {} ms)", ref, node.snapshotterCpuMillis());
        }
        if (mode.cri()) {
            node.cri().pull(ref, TIMEOUT);
            pod.start(ref, List.of());
            String line = pod.firstStdoutLine(TIMEOUT);
            return new Started() {
                public String firstLine() {
                    return line;
                }

                public void awaitExit() {
                    // The pod's teardown stops and removes the container.
                }
            };
        }
        Processes.run(TIMEOUT, pullCommand(node, mode, ref));
        if (TIMELINE) {
            LOG.info("pulled {} (snapshotter CPU so far {} ms)", ref, node.snapshotterCpuMillis());
        }
        return runContainer(node, mode, ref);
    }

    private static List<String> pullCommand(Node node, PullMode mode, String ref) {
        String socket = node.containerdSocket().toString();
        return switch (mode) {
            case OVERLAY -> node.ctrCommand("image", "pull", "--plain-http", "--snapshotter", mode.snapshotter, ref);
            case LAZY, LAZY_NO_LANDMARKS, PLAIN_RPULL -> {
                List<String> rpull = new ArrayList<>(List.of("rpull", "--daemon", node.snapshotterSocket.toString(),
                        "--address", socket, "--namespace", Node.NAMESPACE, "--snapshotter", mode.snapshotter, ref));
                if (!node.https) {
                    rpull.add(1, "--plain-http");
                }
                yield Lazysnap.command(rpull.toArray(String[]::new));
            }
            case CTR_REMOTE, STARGZ_REF -> List.of("ctr-remote", "--address", socket, "--namespace", Node.NAMESPACE,
                    "image", "rpull", "--plain-http", "--snapshotter", mode.snapshotter, ref);
            case CRI, PLAIN_CRI -> throw new IllegalArgumentException("CRI pulls through the pod");
        };
    }

    /** {@code ctr run --rm}, started; returns as soon as its first stdout line arrives. */
    private static Started runContainer(Node node, PullMode mode, String ref) throws Exception {
        List<String> command = new ArrayList<>(node.ctrCommand("run", "--rm", "--snapshotter", mode.snapshotter, ref,
                "bench-" + System.nanoTime()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (TIMELINE) {
            LOG.info("first line of {} (snapshotter CPU so far {} ms)", ref, node.snapshotterCpuMillis());
        }
        return new Started() {
            public String firstLine() {
                return first;
            }

            public void awaitExit() throws Exception {
                try (out) {
                    StringBuilder rest = new StringBuilder();
                    for (String line; (line = out.readLine()) != null; ) {
                        rest.append(line).append('\n');
                    }
                    if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
                        throw new IOException(String.join(" ", command) + " failed: " + first + "\n" + rest);
                    }
                } finally {
                    p.destroyForcibly();
                }
            }
        };
    }
}
