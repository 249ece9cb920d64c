package io.lazysnap.registry;

import okhttp3.HttpUrl;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One host that can serve a registry namespace: the upstream registry itself or a mirror, with the TLS and header
 * settings hosts.toml gives it.
 *
 * @param apiRoot      scheme, host, port and the path under which {@code <name>/manifests/...} live (usually /v2)
 * @param mirror       true when the host is not the namespace's own registry, so requests carry {@code ns=}
 * @param clientPairs  client certificate and key files; a key of null means the key is in the certificate file
 * @param plainHttpFallback an {@code https} host that is spoken to in plain HTTP once it answers TLS with
 *                     something else: containerd's default for a registry on this machine
 */
record Endpoint(HttpUrl apiRoot, Set<Capability> capabilities, boolean mirror, boolean skipVerify,
                List<Path> caFiles, List<Path[]> clientPairs, Map<String, List<String>> headers,
                boolean plainHttpFallback) {

    Endpoint {
        capabilities = Set.copyOf(capabilities);
        caFiles = List.copyOf(caFiles);
        clientPairs = List.copyOf(clientPairs);
        headers = Map.copyOf(headers);
    }

    /** {@code host:port} as TLS and connection limits key it. */
    String authority() {
        return apiRoot.host() + ":" + apiRoot.port();
    }

    /** The same host with containerd's defaults for a registry on this machine. */
    Endpoint withLoopbackDefaults() {
        boolean tls = apiRoot.isHttps();
        // Without a CA to check against, the certificate cannot be verified: containerd skips verification.
        return new Endpoint(apiRoot, capabilities, mirror, tls && (skipVerify || caFiles.isEmpty()), caFiles,
                clientPairs, headers, tls && apiRoot.port() != 443);
    }

    boolean hasCustomTls() {
        return skipVerify || !caFiles.isEmpty() || !clientPairs.isEmpty();
    }

    @Override
    public String toString() {
        return apiRoot.scheme() + "://" + apiRoot.host() + ":" + apiRoot.port() + (mirror ? " (mirror)" : "");
    }
}
