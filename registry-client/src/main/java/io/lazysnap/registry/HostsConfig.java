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
    private final boolean loopbackDefaults;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** A mirror configured without a hosts.toml file: {@code host[:port][/path]}, or a URL with its scheme. */
    record Mirror(String host, boolean insecure, Map<String, List<String>> headers) {
        Mirror {
            headers = Map.copyOf(headers);
        }
    }

    private record Cached(Path file, long modified, List<Endpoint> endpoints) {
    }

    /**
     * @param loopbackDefaults a registry on this machine with no {@code server} configured is spoken to as
     *                         containerd 1.7+ does: port 80 in plain HTTP, others in TLS without verifying the
     *                         certificate (unless a CA is configured) and, except on 443, falling back to plain
     *                         HTTP; loopback mirrors without a scheme are plain HTTP, as in stargz-snapshotter.
     *                         False: loopback hosts are like any other
     */
    HostsConfig(Path dir, Set<String> plainHttp, Map<String, List<Mirror>> mirrors, boolean loopbackDefaults) {
        this.dir = dir;
        this.plainHttp = Set.copyOf(plainHttp);
        this.mirrors = Map.copyOf(mirrors);
        this.loopbackDefaults = loopbackDefaults;
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
            boolean plain = m.insecure() || loopbackDefaults && Loopback.isLoopback(hostOf(m.host()));
            HttpUrl url = apiRoot(m.host().contains("://") ? m.host() : (plain ? "http://" : "https://") + m.host(),
                    false);
            return new Endpoint(url, EnumSet.of(Capability.PULL, Capability.RESOLVE), !sameHost(url, upstream),
                    false, List.of(), List.of(), m.headers(), false);
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

    /**
     * The hosts.toml that configures {@code namespace}: the one in use, else where containerd looks first. For
     * messages that tell an operator what to write.
     */
    Path configFile(String namespace) {
        Path existing = hostDirectory(namespace);
        if (existing != null && !existing.getFileName().toString().equals("_default")) {
            return existing.resolve("hosts.toml");
        }
        return (dir == null ? Path.of("<hosts dir>") : dir).resolve(directoryNames(namespace).get(0))
                .resolve("hosts.toml");
    }

    private Path hostDirectory(String namespace) {
        if (dir == null) {
            return null;
        }
        List<String> names = new ArrayList<>(directoryNames(namespace));
        names.add("_default");
        for (String name : names) {
            Path candidate = dir.resolve(name);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** containerd's lookup order: "host_port_", then "host:port". */
    private static List<String> directoryNames(String namespace) {
        List<String> names = new ArrayList<>();
        int colon = namespace.lastIndexOf(':');
        if (colon > namespace.lastIndexOf(']')) {
            names.add(namespace.substring(0, colon) + "_" + namespace.substring(colon + 1) + "_");
        }
        names.add(namespace);
        return names;
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
            return List.of(implicitUpstream(namespace, new Endpoint(upstream, Capability.ALL, false, false,
                    List.of(), List.of(), Map.of(), false)));
        }
        Path file = hostDir.resolve("hosts.toml");
        try {
            if (!Files.exists(file)) {
                return List.of(implicitUpstream(namespace, dockerCertsEndpoint(upstream, hostDir)));
            }
            JsonNode root = TOML.readTree(file.toFile());
            List<Endpoint> out = new ArrayList<>();
            var hosts = root.path("host").fields();
            while (hosts.hasNext()) {
                var entry = hosts.next();
                HttpUrl url = apiRoot(entry.getKey(), entry.getValue().path("override_path").asBoolean(false));
                out.add(endpoint(url, entry.getValue(), hostDir, !sameHost(url, upstream)));
            }
            if (root.has("server")) {
                HttpUrl server = apiRoot(root.get("server").asText(), root.path("override_path").asBoolean(false));
                out.add(endpoint(server, root, hostDir, !sameHost(server, upstream)));
            } else {
                out.add(implicitUpstream(namespace, endpoint(upstream, root, hostDir, false)));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read registry host configuration " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid registry host configuration " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** The registry itself when nothing names its scheme: containerd's defaults apply to loopback hosts. */
    private Endpoint implicitUpstream(String namespace, Endpoint upstream) {
        boolean applies = loopbackDefaults && !plainHttp.contains(namespace) && upstream.apiRoot().isHttps()
                && Loopback.isLoopback(upstream.apiRoot().host());
        return applies ? upstream.withLoopbackDefaults() : upstream;
    }

    /** The host of {@code host[:port][/path]} or a URL, for deciding defaults before it is parsed. */
    private static String hostOf(String text) {
        HttpUrl url = HttpUrl.parse(text.contains("://") ? text : "https://" + text);
        return url == null ? text : url.host();
    }

    private static boolean sameHost(HttpUrl a, HttpUrl b) {
        return a.host().equals(b.host()) && a.port() == b.port();
    }

    private HttpUrl upstreamRoot(String namespace) {
        // Docker Hub's API is not served at the name people use for it.
        String host = namespace.equals(Reference.DOCKER_HUB) ? "registry-1.docker.io" : namespace;
        boolean plain = plainHttp.contains(namespace)
                || loopbackDefaults && Loopback.isLoopback(hostOf(host)) && hostPortIs80(host);
        return apiRoot((plain ? "http://" : "https://") + host, false);
    }

    /** Port 80 says plain HTTP without doubt, so containerd does not try TLS there. */
    private static boolean hostPortIs80(String namespace) {
        return namespace.endsWith(":80");
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
                headers, false);
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
        return new Endpoint(upstream, Capability.ALL, false, false, ca, client, Map.of(), false);
    }
}
