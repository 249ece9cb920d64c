package io.lazysnap.testkit;

import okhttp3.Headers;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plain-HTTP/1.1 proxy on 127.0.0.1 between a client and a real registry, for pulls ({@code GET}, {@code HEAD}).
 * It fetches each answer from the registry and writes it to the client itself, so a test can have the next
 * answers replaced by {@link Fault}s; it counts the requests it serves and every byte it sends to the client.
 */
public final class FaultProxy implements AutoCloseable {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding",
            "content-length", "host");

    private static final int TLS_HANDSHAKE = 0x16;

    private final ServerSocket server;
    private final String upstream;
    private final OkHttpClient http = new OkHttpClient.Builder().followRedirects(false)
            .retryOnConnectionFailure(false).readTimeout(Duration.ofSeconds(60)).build();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong bytesSent = new AtomicLong();

    private FaultProxy(ServerSocket server, String upstream) {
        this.server = server;
        this.upstream = upstream;
    }

    /** Starts a proxy for the registry at {@code upstreamHost} ({@code 127.0.0.1:<port>}, plain HTTP). */
    public static FaultProxy start(String upstreamHost) throws IOException {
        FaultProxy proxy = new FaultProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), upstreamHost);
        proxy.threads.execute(proxy::accept);
        return proxy;
    }

    /** {@code 127.0.0.1:<port>}: the registry part of references that go through the proxy. */
    public String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The next requests, one each in order, get these faults instead of the registry's answer. */
    public void inject(Fault... next) {
        faults.addAll(List.of(next));
    }

    /** Drops the faults not served yet; returns how many there were. */
    public int clearFaults() {
        int dropped = 0;
        while (faults.poll() != null) {
            dropped++;
        }
        return dropped;
    }

    public int faultsLeft() {
        return faults.size();
    }

    public int requests() {
        return requests.get();
    }

    /** Bytes written to clients, status lines and headers included. */
    public long bytesSent() {
        return bytesSent.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                clients.add(client);
                threads.execute(() -> serve(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = new CountingStream(client.getOutputStream(), bytesSent);
            in.mark(1);
            if (in.read() == TLS_HANDSHAKE) {
                // A client trying TLS first on a loopback registry: answer as a plain-HTTP server does, so it
                // falls back to HTTP at once instead of waiting for a handshake that never comes.
                out.write("HTTP/1.0 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                // Read what the client sent before closing: unread bytes would make the close a reset, which can
                // discard the answer before the client reads it.
                client.shutdownOutput();
                client.setSoTimeout(1000);
                in.transferTo(OutputStream.nullOutputStream());
                return;
            }
            in.reset();
            for (List<String> head = readHead(in); head != null && !client.isClosed(); head = readHead(in)) {
                requests.incrementAndGet();
                Answer real = relay(head);
                Fault fault = faults.poll();
                if (fault == null) {
                    real.write(out);
                } else {
                    fault.answer(real, client, out);
                }
                out.flush();
            }
        } catch (IOException clientGone) {
            // The client hung up or a fault closed the connection: nothing left to serve on it.
        } finally {
            clients.remove(client);
        }
    }

    /** The request line and header lines, or null at the end of the connection. */
    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.ISO_8859_1).stripTrailing();
            line.reset();
            if (text.isEmpty()) {
                return lines;
            }
            lines.add(text);
        }
        return null;
    }

    private Answer relay(List<String> head) throws IOException {
        String[] requestLine = head.get(0).split(" ");
        if (!requestLine[0].equals("GET") && !requestLine[0].equals("HEAD")) {
            throw new IOException("the fault proxy relays pulls only, not " + head.get(0));
        }
        Request.Builder request = new Request.Builder().url("http://" + upstream + requestLine[1])
                .method(requestLine[0], null);
        for (String header : head.subList(1, head.size())) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim();
            if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                request.addHeader(name, header.substring(colon + 1).trim());
            }
        }
        try (Response response = http.newCall(request.build()).execute()) {
            Headers.Builder headers = new Headers.Builder();
            response.headers().forEach(h -> {
                if (!HOP_BY_HOP.contains(h.getFirst().toLowerCase(Locale.ROOT))) {
                    headers.add(h.getFirst(), h.getSecond());
                }
            });
            byte[] body = response.body().bytes();
            // A HEAD answer has no body but keeps the length the registry declared.
            long length = requestLine[0].equals("HEAD") ? Long.parseLong(response.header("Content-Length", "0"))
                    : body.length;
            return new Answer(response.code(), headers.build(), body, length);
        }
    }

    /** Closes the listening socket and every client connection, which ends stalled answers too. */
    @Override
    public void close() throws IOException {
        server.close();
        for (Socket client : clients) {
            client.close();
        }
        threads.shutdownNow();
    }

    /** What the registry answered, as the proxy will write it. */
    public record Answer(int code, Headers headers, byte[] body, long contentLength) {

        public Answer withBody(byte[] newBody) {
            return new Answer(code, headers, newBody, newBody.length);
        }

        public Answer withHeader(String name, String value) {
            return new Answer(code, headers.newBuilder().set(name, value).build(), body, contentLength);
        }

        /** Status line and headers, with {@link #contentLength} as {@code Content-Length}. */
        public void writeHead(OutputStream out) throws IOException {
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(code).append(" Fault Proxy\r\n");
            headers.forEach(h -> head.append(h.getFirst()).append(": ").append(h.getSecond()).append("\r\n"));
            head.append("Content-Length: ").append(contentLength).append("\r\n\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        }

        public void write(OutputStream out) throws IOException {
            writeHead(out);
            out.write(body);
        }
    }

    /** Counts what passes into a shared total. */
    private static final class CountingStream extends FilterOutputStream {
        private final AtomicLong count;

        CountingStream(OutputStream out, AtomicLong count) {
            super(out);
            this.count = count;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            // Counted before the write: once the client has the bytes, a test reading the count must see them.
            count.addAndGet(len);
            out.write(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
            count.incrementAndGet();
            out.write(b);
        }
    }
}
