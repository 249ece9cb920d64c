package io.lazysnap.registry;

import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ProtocolException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows a registry's redirects to blob storage (S3, GCS, a CDN) and remembers where each blob was sent, so
 * the many range reads of one lazily mounted layer go straight to storage instead of asking the registry every
 * time. A remembered URL is dropped when it gets old or storage refuses it (a pre-signed URL expired); the
 * registry is then asked again. Nothing configured for the registry (credentials, hosts.toml or mirror headers,
 * cookies) is sent to another host or over a downgrade from https to http: such a hop carries only what any
 * client would send ({@code Range}, {@code Accept}).
 */
final class RedirectInterceptor implements Interceptor {

    private static final Logger log = LoggerFactory.getLogger(RedirectInterceptor.class);
    private static final int MAX_HOPS = 5;
    private static final List<String> PORTABLE_HEADERS = List.of("Range", "Accept");

    private final long ttlNanos;
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();

    private record Remembered(HttpUrl location, long expiresAtNanos) {
    }

    RedirectInterceptor(Duration ttl) {
        this.ttlNanos = ttl.toNanos();
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        boolean blobRead = request.method().equals("GET") && request.url().encodedPath().contains("/blobs/sha");
        String key = Urls.redacted(request.url());
        if (blobRead) {
            Remembered r = remembered.get(key);
            if (r != null && System.nanoTime() < r.expiresAtNanos) {
                Response response = chain.proceed(redirected(request, r.location));
                if (response.code() != 401 && response.code() != 403 && response.code() != 404
                        && response.code() != 410) {
                    return response;
                }
                response.close();
                remembered.remove(key, r);
                log.debug("Storage refused the remembered location of {} (HTTP {}); asking the registry again",
                        key, response.code());
            }
        }
        Response response = chain.proceed(request);
        Request current = request;
        for (int hop = 0; response.isRedirect(); hop++) {
            if (hop == MAX_HOPS) {
                response.close();
                throw new ProtocolException("more than " + MAX_HOPS + " redirects for " + key);
            }
            String location = response.header("Location");
            HttpUrl target = location == null ? null : current.url().resolve(location);
            if (target == null) {
                return response;
            }
            response.close();
            current = redirected(request, target);
            response = chain.proceed(current);
            if (blobRead && response.isSuccessful()) {
                remembered.put(key, new Remembered(target, System.nanoTime() + ttlNanos));
                log.debug("{} is served from {}", key, Urls.hostPort(target));
            }
        }
        return response;
    }

    private static Request redirected(Request original, HttpUrl target) {
        Request.Builder b = original.newBuilder().url(target);
        HttpUrl from = original.url();
        boolean sameOrigin = target.host().equals(from.host()) && target.port() == from.port()
                && target.scheme().equals(from.scheme());
        if (!sameOrigin) {
            Headers.Builder kept = new Headers.Builder();
            for (String name : PORTABLE_HEADERS) {
                original.headers(name).forEach(value -> kept.add(name, value));
            }
            b.headers(kept.build());
        }
        return b.build();
    }
}
