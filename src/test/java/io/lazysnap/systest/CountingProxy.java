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

    void reset() {
        served.set(0);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                pump(client, upstream, null);
                pump(upstream, client, served);
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("counting proxy: " + e);
                }
            }
        }
    }

    private static void pump(Socket from, Socket to, AtomicLong counter) {
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

    private static void closeQuietly(Socket s) {
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
