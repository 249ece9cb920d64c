package io.lazysnap.registry;

import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes a request for a registry namespace to the hosts configured for it, mirrors first and the upstream
 * last, skipping hosts without the needed capability. A host that cannot be reached or does not answer with
 * success hands over to the next; the last host's answer is final. Mirrors get containerd's {@code ns} query
 * parameter so a shared cache knows which registry is meant.
 */
final class HostFallbackInterceptor extends SpecInterceptor {

    private static final Logger log = LoggerFactory.getLogger(HostFallbackInterceptor.class);

    private final HostsConfig hosts;
    private final HostTls tls;
    private final RegistryListener listener;

    HostFallbackInterceptor(HostsConfig hosts, HostTls tls, RegistryListener listener) {
        this.hosts = hosts;
        this.tls = tls;
        this.listener = listener;
    }

    @Override
    Response intercept(Chain chain, Request request, RequestSpec spec) throws IOException {
        if (request.tag(Attempt.class) != null) {
            return chain.proceed(request);
        }
        List<Endpoint> endpoints;
        try {
            endpoints = hosts.endpoints(spec.namespace(), spec.capability());
            endpoints.forEach(tls::register);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new RegistryException("registry host configuration for " + spec.namespace() + ": "
                    + e.getMessage(), 0, e);
        }
        if (endpoints.isEmpty()) {
            throw new RegistryException("no host for " + spec.namespace() + " is configured with capability "
                    + spec.capability().name().toLowerCase(java.util.Locale.ROOT), 0);
        }
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint endpoint = endpoints.get(i);
            boolean last = i == endpoints.size() - 1;
            Request routed = route(request, endpoint, spec.namespace(), !last);
            String host = Urls.hostPort(endpoint.apiRoot());
            try {
                Response response = chain.proceed(routed);
                if (last || response.isSuccessful()) {
                    return response;
                }
                response.close();
                fellBack(host, spec, "HTTP " + response.code());
                failures.add(host + ": HTTP " + response.code());
            } catch (IOException e) {
                if (last || chain.call().isCanceled()) {
                    throw failure(spec, failures, host, explain(e, host, spec.namespace()), e);
                }
                fellBack(host, spec, explain(e, host, spec.namespace()));
                failures.add(host + ": " + explain(e, host, spec.namespace()));
            }
        }
        throw new IllegalStateException("the last host either answers or throws");
    }

    private void fellBack(String host, RequestSpec spec, String cause) {
        log.info("{} failed for {} ({}); trying the next configured host", host, spec.what(), cause);
        listener.fellBack(host, spec.what(), cause);
    }

    /** The failure, and what to configure when it is a TLS problem an operator can fix. */
    private String explain(IOException e, String host, String namespace) {
        String advice = TlsFailure.of(e).advice(host, hosts.configFile(namespace));
        return describe(e) + (advice.isEmpty() ? "" : " (" + advice + ")");
    }

    private static IOException failure(RequestSpec spec, List<String> earlier, String host, String cause,
                                       IOException e) {
        if (e instanceof RegistryException && earlier.isEmpty()) {
            return e;
        }
        StringBuilder message = new StringBuilder(spec.what()).append(" from ").append(host).append(": ")
                .append(cause);
        if (!earlier.isEmpty()) {
            message.append(" (after ").append(String.join(", ", earlier)).append(")");
        }
        int status = e instanceof RegistryException re ? re.status() : 0;
        return new RegistryException(message.toString(), status, e);
    }

    static String describe(IOException e) {
        String message = e.getMessage();
        return e instanceof RegistryException ? message
                : e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static Request route(Request request, Endpoint endpoint, String namespace, boolean hasFallback) {
        HttpUrl logical = request.url();
        // Logical URLs are https://<namespace>/v2/<rest>; the endpoint decides the real API root.
        String rest = logical.encodedPath().substring("/v2/".length());
        HttpUrl.Builder url = endpoint.apiRoot().newBuilder().encodedPath(endpoint.apiRoot().encodedPath() + rest)
                .encodedQuery(logical.encodedQuery());
        if (endpoint.mirror()) {
            url.addQueryParameter("ns", namespace);
        }
        Request.Builder routed = request.newBuilder().url(url.build())
                .tag(Attempt.class, new Attempt(endpoint, hasFallback));
        endpoint.headers().forEach((name, values) -> values.forEach(v -> routed.addHeader(name, v)));
        return routed.build();
    }
}
