package io.lazysnap.daemon.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lazysnap.registry.BlobDigest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A read-only registry on an ephemeral 127.0.0.1 port, in plain HTTP, serving manifests and blobs held in memory:
 * GET and HEAD, with single byte ranges. For {@link RegistryWarmUp}; it serves nothing beyond the paths it holds.
 */
final class LoopbackRegistry implements AutoCloseable {

    /** What a path serves. */
    record Content(String mediaType, byte[] bytes) {
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final Map<String, Content> paths;
    private final HttpServer server;
    private final ExecutorService threads;

    /** @param paths by URL path, e.g. {@code /v2/<repository>/blobs/<digest>} */
    LoopbackRegistry(Map<String, Content> paths) throws IOException {
        this.paths = Map.copyOf(paths);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        threads = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "warm-up-registry");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::answer);
        server.start();
    }

    /** {@code 127.0.0.1:<port>}, as a reference names the registry. */
    String host() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            if (path.equals("/v2/")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            Content content = paths.get(path);
            if (content == null || !(head || "GET".equals(exchange.getRequestMethod()))) {
                exchange.sendResponseHeaders(content == null ? 404 : 405, -1);
                return;
            }
            byte[] bytes = content.bytes();
            exchange.getResponseHeaders().set("Content-Type", content.mediaType());
            exchange.getResponseHeaders().set("Docker-Content-Digest", BlobDigest.sha256(bytes));
            String range = exchange.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            int from = 0;
            int to = bytes.length - 1;
            int status = 200;
            if (m != null && m.matches()) {
                from = Integer.parseInt(m.group(1));
                to = m.group(2).isEmpty() ? to : Math.min(to, Integer.parseInt(m.group(2)));
                status = 206;
                exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + bytes.length);
            }
            int length = Math.max(0, to - from + 1);
            if (head) {
                exchange.getResponseHeaders().set("Content-Length", Integer.toString(length));
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, length == 0 ? -1 : length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(bytes, from, length);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
