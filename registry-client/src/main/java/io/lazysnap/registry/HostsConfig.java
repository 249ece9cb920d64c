package io.lazysnap.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import okhttp3.HttpUrl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Which hosts serve a registry namespace, in the order to try them, read from a containerd-style
 * {@code certs.d} directory ({@code <dir>/<host[:port]>/hosts.toml}, else docker's {@code .crt/.cert/.key}
 * files, else {@code _default}). Without configuration the namespace's own registry serves everything.
 * Files are re-read when they change, as containerd does, so mirrors can be added without a restart. Mirrors
 * given to the builder (stargz-snapshotter's {@code [resolver]} style) come before everything the directory says.
 */
final class HostsConfig {

    private static final TomlMapper TOML = new TomlMapper();

    private final Path dir;
    private final Set<String> plainHttp;
    private final Map<String, List<Mirror>> mirrors;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** A mirror configured without a hosts.toml file: {@code host[:port][/path]}, or a URL with its scheme. */
    record Mirror(String host, boolean insecure, Map<String, List<String>> headers) {
        Mirror {
            headers = Map.copyOf(headers);
        }
    }

    private record Cached(Path file, long modified, List<Endpoint> endpoints) {
    }

    HostsConfig(Path dir, Set<String> plainHttp, Map<String, List<Mirror>> mirrors) {
        this.dir = dir;
        this.plainHttp = Set.copyOf(plainHttp);
        this.mirrors = Map.copyOf(mirrors);
        // Fail at build time, not at the first pull, on a mirror that is not a URL.
        this.mirrors.forEach((namespace, list) -> mirrorEndpoints(namespace));
    }

    /** Hosts for {@code namespace} able to do {@code capability}, mirrors first, the upstream last. */
    List<Endpoint> endpoints(String namespace, Capability capability) {
        return all(namespace).stream().filter(e -> e.capabilities().contains(capability)).toList();
    }

    List<Endpoint> all(String namespace) {
        List<Endpoint> configured = mirrorEndpoints(namespace);
        List<Endpoint> fromDir = fromDirectory(namespace);
        if (configured.isEmpty()) {
            return fromDir;
        }
        List<Endpoint> all = new ArrayList<>(configured);
        all.addAll(fromDir);
        return List.copyOf(all);
    }

    /** Mirrors serve pulls and tag resolution, like stargz-snapshotter's; pushes go to the hosts_dir hosts. */
    private List<Endpoint> mirrorEndpoints(String namespace) {
        HttpUrl upstream = upstreamRoot(namespace);
        return mirrors.getOrDefault(namespace, List.of()).stream().map(m -> {
            HttpUrl url = apiRoot(m.host().contains("://") ? m.host()
                    : (m.insecure() ? "http://" : "https://") + m.host(), false);
            return new Endpoint(url, EnumSet.of(Capability.PULL, Capability.RESOLVE), !sameHost(url, upstream),
                    false, List.of(), List.of(), m.headers());
        }).toList();
    }

    private List<Endpoint> fromDirectory(String namespace) {
        Path hostDir = hostDirectory(namespace);
        Path file = hostDir == null ? null : hostDir.resolve("hosts.toml");
        long modified = modified(file != null && Files.exists(file) ? file : hostDir);
        Cached cached = cache.get(namespace);
        if (cached == null || cached.modified != modified || !java.util.Objects.equals(cached.file, file)) {
            cached = new Cached(file, modified, load(namespace, hostDir));
            cache.put(namespace, cached);
        }
        return cached.endpoints;
    }

    private Path hostDirectory(String namespace) {
        if (dir == null) {
            return null;
        }
        // containerd's lookup order: "host_port_", "host:port", then "_default".
        List<String> names = new ArrayList<>();
        int colon = namespace.lastIndexOf(':');
        if (colon > namespace.lastIndexOf(']')) {
            names.add(namespace.substring(0, colon) + "_" + namespace.substring(colon + 1) + "_");
        }
        names.add(namespace);
        names.add("_default");
        for (String name : names) {
            Path candidate = dir.resolve(name);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static long modified(Path path) {
        try {
            return path == null || !Files.exists(path) ? 0 : Files.getLastModifiedTime(path).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private List<Endpoint> load(String namespace, Path hostDir) {
        HttpUrl upstream = upstreamRoot(namespace);
        if (hostDir == null) {
            return List.of(new Endpoint(upstream, Capability.ALL, false, false, List.of(), List.of(), Map.of()));
        }
        Path file = hostDir.resolve("hosts.toml");
        try {
            if (!Files.exists(file)) {
                return List.of(dockerCertsEndpoint(upstream, hostDir));
            }
            JsonNode root = TOML.readTree(file.toFile());
            List<Endpoint> out = new ArrayList<>();
            var hosts = root.path("host").fields();
            while (hosts.hasNext()) {
                var entry = hosts.next();
                HttpUrl url = apiRoot(entry.getKey(), entry.getValue().path("override_path").asBoolean(false));
                out.add(endpoint(url, entry.getValue(), hostDir, !sameHost(url, upstream)));
            }
            HttpUrl server = root.has("server")
                    ? apiRoot(root.get("server").asText(), root.path("override_path").asBoolean(false))
                    : upstream;
            out.add(endpoint(server, root, hostDir, !sameHost(server, upstream)));
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read registry host configuration " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid registry host configuration " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private static boolean sameHost(HttpUrl a, HttpUrl b) {
        return a.host().equals(b.host()) && a.port() == b.port();
    }

    private HttpUrl upstreamRoot(String namespace) {
        // Docker Hub's API is not served at the name people use for it.
        String host = namespace.equals(Reference.DOCKER_HUB) ? "registry-1.docker.io" : namespace;
        String scheme = plainHttp.contains(namespace) ? "http" : "https";
        return apiRoot(scheme + "://" + host, false);
    }

    private static HttpUrl apiRoot(String text, boolean overridePath) {
        String withScheme = text.contains("://") ? text : "https://" + text;
        HttpUrl url = HttpUrl.parse(withScheme);
        if (url == null) {
            throw new IllegalArgumentException("'" + text + "' is not a valid host URL");
        }
        String path = url.encodedPath().replaceAll("/+$", "");
        if (!overridePath) {
            path = path + "/v2";
        }
        return url.newBuilder().encodedPath(path + "/").query(null).build();
    }

    private static Endpoint endpoint(HttpUrl url, JsonNode node, Path base, boolean mirror) {
        Set<Capability> capabilities = Capability.ALL;
        if (node.has("capabilities")) {
            capabilities = EnumSet.noneOf(Capability.class);
            for (JsonNode c : node.get("capabilities")) {
                capabilities.add(Capability.parse(c.asText()));
            }
        }
        List<Path> ca = new ArrayList<>();
        strings(node.get("ca")).forEach(p -> ca.add(base.resolve(p)));
        List<Path[]> client = new ArrayList<>();
        JsonNode c = node.get("client");
        if (c != null && c.isArray()) {
            for (JsonNode item : c) {
                if (item.isArray()) {
                    String key = item.size() > 1 ? item.get(1).asText("") : "";
                    client.add(new Path[]{base.resolve(item.get(0).asText()), key.isEmpty() ? null : base.resolve(key)});
                } else {
                    client.add(new Path[]{base.resolve(item.asText()), null});
                }
            }
        } else if (c != null) {
            client.add(new Path[]{base.resolve(c.asText()), null});
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        node.path("header").fields().forEachRemaining(h -> headers.put(h.getKey(), strings(h.getValue())));
        return new Endpoint(url, capabilities, mirror, node.path("skip_verify").asBoolean(false), ca, client,
                headers);
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else if (node != null) {
            out.add(node.asText());
        }
        return out;
    }

    private static Endpoint dockerCertsEndpoint(HttpUrl upstream, Path hostDir) throws IOException {
        List<Path> ca = new ArrayList<>();
        List<Path[]> client = new ArrayList<>();
        try (Stream<Path> files = Files.list(hostDir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".crt")) {
                    ca.add(f);
                } else if (name.endsWith(".cert")) {
                    client.add(new Path[]{f, hostDir.resolve(name.substring(0, name.length() - 5) + ".key")});
                }
            }
        }
        return new Endpoint(upstream, Capability.ALL, false, false, ca, client, Map.of());
    }
}
