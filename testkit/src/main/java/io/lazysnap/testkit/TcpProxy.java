package io.lazysnap.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP forwarder on 127.0.0.1 in front of a registry: counts the bytes the registry sends, and can add a link's
 * round-trip time (half each way, plus one round trip for the connection handshake), limit bandwidth with a
 * {@link Pacer}, and drop {@code Range} headers as a registry without range support would ignore them.
 */
public final class TcpProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final long oneWayNanos;
    private final Pacer pacer;
    private final AtomicLong served = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean stripRanges;

    private TcpProxy(InetSocketAddress upstream, int rttMillis, Pacer pacer) throws IOException {
        this.upstream = upstream;
        this.oneWayNanos = TimeUnit.MILLISECONDS.toNanos(rttMillis) / 2;
        this.pacer = pacer;
        this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        daemon("tcp-proxy-accept", this::accept).start();
    }

    /** A plain forwarder that counts. */
    public static TcpProxy to(InetSocketAddress upstream) throws IOException {
        return new TcpProxy(upstream, 0, null);
    }

    /**
     * A forwarder that adds {@code rttMillis} of latency (the kernel here has no {@code netem});
     * {@code pacer} limits registry-to-client bytes in userspace, null when the kernel shapes the link.
     */
    public static TcpProxy shaped(InetSocketAddress upstream, int rttMillis, Pacer pacer) throws IOException {
        return new TcpProxy(upstream, rttMillis, pacer);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** {@code 127.0.0.1:port}, the registry part of references that go through the proxy. */
    public String host() {
        return "127.0.0.1:" + port();
    }

    /** Bytes the registry has sent since the last {@link #reset()}. */
    public long served() {
        return served.get();
    }

    public void reset() {
        served.set(0);
    }

    /**
     * From now on, requests reach the registry without their {@code Range} header, as through a registry or mirror
     * that does not support ranges: it answers 200 with the whole blob. Open connections are closed, so that clients
     * reconnect through the new setting.
     */
    public void stripRanges(boolean strip) throws IOException {
        stripRanges = strip;
        for (Socket s : open) {
            s.close();
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                daemon("tcp-proxy-connect", () -> connect(client)).start();
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
            open.add(client);
            InputStream requests = client.getInputStream();
            new Line(stripRanges ? new RangeStripper(requests) : raw(requests), client, server, null, null).start();
            new Line(raw(server.getInputStream()), server, client, served, pacer).start();
        } catch (IOException | InterruptedException e) {
            LOG.debug("connection to {} failed", upstream, e);
            close(client);
        }
    }

    /** The next bytes of one direction, or null at its end. */
    @FunctionalInterface
    private interface Source {
        byte[] next() throws IOException;
    }

    /** One buffer per direction, each read copied out at its size: the proxy must not be what loads the CPU. */
    private static Source raw(InputStream in) {
        byte[] buffer = new byte[64 << 10];
        return () -> {
            int n = in.read(buffer);
            return n < 0 ? null : Arrays.copyOf(buffer, n);
        };
    }

    /** HTTP/1.1 requests one at a time, header by header without {@code Range}; bodies by Content-Length. */
    private static final class RangeStripper implements Source {
        private final InputStream in;

        RangeStripper(InputStream in) {
            this.in = new BufferedInputStream(in);
        }

        @Override
        public byte[] next() throws IOException {
            long body = 0;
            StringBuilder head = new StringBuilder();
            for (String line = readLine(); line != null; line = readLine()) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    body = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
                if (!lower.startsWith("range:")) {
                    head.append(line).append("\r\n");
                }
                if (line.isEmpty()) {
                    break;
                }
            }
            if (head.length() == 0) {
                return null;
            }
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            request.writeBytes(in.readNBytes((int) body));
            return request.toByteArray();
        }

        /** A CRLF-terminated line without its terminator; null at the end of the stream. */
        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c == '\n') {
                    int end = line.length();
                    return line.substring(0, end > 0 && line.charAt(end - 1) == '\r' ? end - 1 : end);
                }
                line.append((char) c);
            }
            return line.length() == 0 ? null : line.toString();
        }
    }

    /**
     * One direction of a connection: a reader stamps each buffer with the time it may leave, a writer sends it
     * then; a queue in between keeps delay from capping throughput.
     */
    private final class Line {
        private record Packet(long due, byte[] bytes) {
        }

        private static final Packet EOF = new Packet(0, null);

        private final Source source;
        private final Socket from;
        private final Socket to;
        private final AtomicLong counter;
        private final Pacer pace;
        private final LinkedBlockingQueue<Packet> queue = new LinkedBlockingQueue<>();

        Line(Source source, Socket from, Socket to, AtomicLong counter, Pacer pace) {
            this.source = source;
            this.from = from;
            this.to = to;
            this.counter = counter;
            this.pace = pace;
        }

        void start() {
            daemon("tcp-proxy-read", this::read).start();
            daemon("tcp-proxy-write", this::write).start();
        }

        private void read() {
            try {
                for (byte[] bytes = source.next(); bytes != null; bytes = source.next()) {
                    queue.add(new Packet(System.nanoTime() + oneWayNanos, bytes));
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
                        pace.acquire(p.bytes().length);
                    }
                    out.write(p.bytes());
                    if (counter != null) {
                        counter.addAndGet(p.bytes().length);
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

    private void close(Socket s) {
        open.remove(s);
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
