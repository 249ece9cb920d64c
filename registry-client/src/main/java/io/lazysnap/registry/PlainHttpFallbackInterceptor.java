package io.lazysnap.registry;

import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * containerd's HTTP fallback for registries on this machine: a host routed as {@link Endpoint#plainHttpFallback}
 * is tried in TLS, and once it answers with something that is not TLS, it is spoken to in plain HTTP from then
 * on. Nothing has been sent when the handshake fails, so the request is simply sent again.
 */
final class PlainHttpFallbackInterceptor implements Interceptor {

    private static final Logger log = LoggerFactory.getLogger(PlainHttpFallbackInterceptor.class);

    private final Set<String> plainHosts = ConcurrentHashMap.newKeySet();

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        Attempt attempt = request.tag(Attempt.class);
        if (attempt == null || !attempt.endpoint().plainHttpFallback() || !request.url().isHttps()) {
            return chain.proceed(request);
        }
        String authority = attempt.endpoint().authority();
        if (plainHosts.contains(authority)) {
            return chain.proceed(plain(request));
        }
        try {
            return chain.proceed(request);
        } catch (IOException e) {
            if (TlsFailure.of(e) != TlsFailure.NOT_TLS) {
                throw e;
            }
            if (plainHosts.add(authority)) {
                log.info("{} is on this machine and does not speak TLS: using plain HTTP for it, as containerd"
                        + " does for loopback registries (require TLS for them in the configuration to refuse"
                        + " this)", Urls.hostPort(request.url()));
            }
            return chain.proceed(plain(request));
        }
    }

    private static Request plain(Request request) {
        return request.newBuilder().url(request.url().newBuilder().scheme("http").build()).build();
    }
}
