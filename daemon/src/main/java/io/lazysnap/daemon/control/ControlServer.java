package io.lazysnap.daemon.control;

import io.lazysnap.daemon.progress.Progress;
import io.lazysnap.daemon.socket.SocketFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket: {@code lazysnap rpull} sends one pull request as a JSON line and gets back the pull's
 * console output, rendered here for the client's terminal (or as plain lines), then the {@link PullOutcome}. The
 * pull runs in the daemon, warm, and the client only copies bytes, so that the client on a container's start-up
 * path is a small process start (the launcher's Perl relay, or the JVM's).
 */
public final class ControlServer implements AutoCloseable {

    /** Pulls an image for a request, telling {@code progress} how it goes; returns the containerd image name. */
    @FunctionalInterface
    public interface PullHandler {
        String pull(PullRequest request, Progress progress) throws IOException, InterruptedException;
    }

    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /** Pulls that run at once; each mostly waits on containerd and the registry. */
    private static final int MAX_PULLS = 8;
    private static final int MAX_REQUEST_CHARS = 64 << 10;

    private final Path path;
    private final ServerSocketChannel listener;
    private final ThreadPoolExecutor pulls;
    private final Thread acceptor;

    private ControlServer(Path path, ServerSocketChannel listener, PullHandler handler) {
        this.path = path;
        this.listener = listener;
        AtomicInteger n = new AtomicInteger();
        this.pulls = new ThreadPoolExecutor(0, MAX_PULLS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "pull-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(() -> accept(handler), "control-accept");
        acceptor.setDaemon(true);
    }

    /** Listens on {@code path} (made as {@link SocketFiles} says) and serves pulls with {@code handler}. */
    public static ControlServer start(Path path, PullHandler handler) throws IOException {
        SocketFiles.claim(path);
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            listener.bind(UnixDomainSocketAddress.of(path));
            SocketFiles.restrict(path);
        } catch (IOException e) {
            listener.close();
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
        ControlServer server = new ControlServer(path, listener, handler);
        server.acceptor.start();
        log.info("taking pull requests on {}", path);
        return server;
    }

    private void accept(PullHandler handler) {
        while (listener.isOpen()) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (listener.isOpen()) {
                    log.warn("control socket {}: {}", path, e.toString());
                }
                continue;
            }
            try {
                pulls.execute(() -> serve(client, handler));
            } catch (RejectedExecutionException busy) {
                try (client) {
                    answer(new PrintStream(Channels.newOutputStream(client), false, StandardCharsets.UTF_8),
                            PullOutcome.error("the daemon is running " + MAX_PULLS
                                    + " pulls already; try again when one has finished"));
                } catch (IOException e) {
                    log.debug("control connection: {}", e.toString());
                }
            }
        }
    }

    private void serve(SocketChannel client, PullHandler handler) {
        try (client) {
            PrintStream console = new PrintStream(new ClientStream(Channels.newOutputStream(client),
                    Thread.currentThread()), false, StandardCharsets.UTF_8);
            PullRequest request;
            try {
                request = PullRequest.fromJson(readRequest(client));
            } catch (IOException e) {
                answer(console, PullOutcome.error("malformed pull request: " + e.getMessage()));
                return;
            }
            log.debug("pull of {} into containerd at {} (namespace {}) requested", request.reference(),
                    request.containerd(), request.namespace());
            String outcome = pull(handler, request, console);
            log.debug("pull of {} answered: {}", request.reference(), outcome.substring(1));
            answer(console, outcome);
        } catch (IOException e) {
            log.debug("control connection: {}", e.toString());
        } finally {
            Thread.interrupted();
        }
    }

    /** The outcome line of a pull: no exception, not even an {@link Error} of a missing library, escapes. */
    private static String pull(PullHandler handler, PullRequest request, PrintStream console) {
        try (Progress progress = Progress.to(console, request.terminal())) {
            String image = handler.pull(request, progress);
            progress.message("pulled " + image + " with snapshotter " + request.snapshotter());
            return PullOutcome.pulled(image);
        } catch (IOException e) {
            log.warn("pull of {} failed: {}", request.reference(), e.getMessage());
            return PullOutcome.error(e.getMessage());
        } catch (InterruptedException e) {
            return PullOutcome.error("pull of " + request.reference() + " interrupted");
        } catch (RuntimeException | LinkageError e) {
            log.error("pull of {} failed", request.reference(), e);
            return PullOutcome.error("pull of " + request.reference() + " failed in the daemon: " + e
                    + " (see the daemon's log)");
        }
    }

    private static String readRequest(SocketChannel client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                StandardCharsets.UTF_8));
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the request ended before its newline");
            }
            if (line.length() == MAX_REQUEST_CHARS) {
                throw new IOException("the request is longer than " + MAX_REQUEST_CHARS + " characters");
            }
            line.append((char) c);
        }
        return line.toString();
    }

    private static void answer(PrintStream console, String outcome) {
        console.print(outcome + "\n");
        console.flush();
    }

    /** Stops taking requests; pulls in progress are interrupted. */
    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            log.warn("closing {}: {}", path, e.toString());
        }
        pulls.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove socket {}: {}", path, e.toString());
        }
    }
}
