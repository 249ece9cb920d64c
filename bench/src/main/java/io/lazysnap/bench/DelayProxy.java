package io.lazysnap.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's view of the registry: a TCP forwarder on 127.0.0.1 that adds the link's round-trip time (half each
 * way, plus one round trip for the connection handshake) and counts the bytes the registry sends. This kernel has
 * no {@code netem}, so latency lives here; bandwidth is the kernel's {@code tbf} unless {@code pacer} is given.
 */
final class DelayProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DelayProxy.class);

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final long oneWayNanos;
    private final Pacer pacer;
    private final AtomicLong served = new AtomicLong();

    /** @param pacer limits registry-to-node bytes in userspace; null when the kernel shapes the link */
    DelayProxy(InetSocketAddress upstream, int rttMillis, Pacer pacer) throws IOException {
        this.upstream = upstream;
        this.oneWayNanos = TimeUnit.MILLISECONDS.toNanos(rttMillis) / 2;
        this.pacer = pacer;
        this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        daemon("delay-proxy-accept", this::accept).start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Bytes the registry has sent since the last {@link #resetServed()}. */
    long served() {
        return served.get();
    }

    void resetServed() {
        served.set(0);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                daemon("delay-proxy-connect", () -> connect(client)).start();
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    LOG.warn("accept failed", e);
                }
            }
        }
    }

    private void connect(Socket client) {
        try {
            // SYN, SYN-ACK: a new connection costs one round trip before the first request leaves.
            TimeUnit.NANOSECONDS.sleep(2 * oneWayNanos);
            Socket server = new Socket(upstream.getAddress(), upstream.getPort());
            server.setTcpNoDelay(true);
            client.setTcpNoDelay(true);
            new DelayLine(client, server, null, null).start();
            new DelayLine(server, client, served, pacer).start();
        } catch (IOException | InterruptedException e) {
            LOG.debug("connection to {} failed", upstream, e);
            close(client);
        }
    }

    /**
     * One direction of a connection: a reader stamps each buffer with the time it may leave, a writer sends it
     * then; a queue in between keeps delay from capping throughput.
     */
    private final class DelayLine {
        private record Packet(long due, byte[] bytes, int length) {
        }

        private static final Packet EOF = new Packet(0, new byte[0], -1);

        private final Socket from;
        private final Socket to;
        private final AtomicLong counter;
        private final Pacer pace;
        private final LinkedBlockingQueue<Packet> queue = new LinkedBlockingQueue<>();

        DelayLine(Socket from, Socket to, AtomicLong counter, Pacer pace) {
            this.from = from;
            this.to = to;
            this.counter = counter;
            this.pace = pace;
        }

        void start() {
            daemon("delay-proxy-read", this::read).start();
            daemon("delay-proxy-write", this::write).start();
        }

        private void read() {
            try (InputStream in = from.getInputStream()) {
                while (true) {
                    byte[] buffer = new byte[64 << 10];
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    queue.add(new Packet(System.nanoTime() + oneWayNanos, buffer, n));
                }
            } catch (IOException closed) {
                // The other direction closed both sockets, or the peer reset.
            }
            queue.add(EOF);
        }

        private void write() {
            try (OutputStream out = to.getOutputStream()) {
                for (Packet p = queue.take(); p != EOF; p = queue.take()) {
                    long wait = p.due() - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (pace != null) {
                        pace.acquire(p.length());
                    }
                    out.write(p.bytes(), 0, p.length());
                    if (counter != null) {
                        counter.addAndGet(p.length());
                    }
                }
            } catch (IOException | InterruptedException closed) {
                // Peer gone; closing both ends below ends the other direction too.
            } finally {
                close(from);
                close(to);
            }
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
