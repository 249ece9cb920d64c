package io.lazysnap.systest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder in front of the registry that counts the bytes the registry sends, so tests can say how much of
 * an image crossed the network.
 */
final class CountingProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final AtomicLong served = new AtomicLong();
    private volatile boolean stripRanges;
    private final java.util.Set<Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

    CountingProxy(int targetPort) throws IOException {
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "counting-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Bytes sent by the registry since the last reset. */
    long served() {
        return served.get();
    }

    /**
     * From now on, requests reach the registry without their {@code Range} header, as through a registry or
     * mirror that does not support ranges: it answers 200 with the whole blob. Open connections are closed, so that
     * clients reconnect through the new setting.
     */
    void stripRanges(boolean strip) throws IOException {
        stripRanges = strip;
        for (Socket s : open) {
            s.close();
        }
    }

    void reset() {
        served.set(0);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                open.add(client);
                if (stripRanges) {
                    withoutRanges(client, upstream);
                } else {
                    pump(client, upstream, null);
                }
                pump(upstream, client, served);
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("counting proxy: " + e);
                }
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicLong counter) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[64 << 10];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    if (counter != null) {
                        counter.addAndGet(n);
                    }
                }
            } catch (IOException closed) {
                // One side went away; closing both ends below ends the other direction too.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "counting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Forwards HTTP/1.1 requests header by header, dropping {@code Range}; bodies by Content-Length. */
    private void withoutRanges(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (InputStream in = new java.io.BufferedInputStream(from.getInputStream());
                 OutputStream out = to.getOutputStream()) {
                while (true) {
                    long body = 0;
                    StringBuilder head = new StringBuilder();
                    for (String line = readLine(in); line != null; line = readLine(in)) {
                        String lower = line.toLowerCase(java.util.Locale.ROOT);
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
                        return;
                    }
                    out.write(head.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    out.write(in.readNBytes((int) body));
                    out.flush();
                }
            } catch (IOException closed) {
                // One side went away.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "counting-proxy-no-ranges");
        t.setDaemon(true);
        t.start();
    }

    /** A CRLF-terminated line without its terminator; null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
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

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // Already closed by the other direction.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
