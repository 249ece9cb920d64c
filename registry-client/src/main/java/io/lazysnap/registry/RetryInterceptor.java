package io.lazysnap.registry;

import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Retries idempotent requests after transient failures (connection resets, timeouts, short or altered bodies,
 * 429 and 5xx) with exponential backoff and jitter, honouring {@code Retry-After}, and never sleeping past the
 * request's deadline. A host that cannot be reached at all is not retried when another host can take over.
 */
final class RetryInterceptor extends SpecInterceptor {

    private static final Logger log = LoggerFactory.getLogger(RetryInterceptor.class);
    private static final Set<Integer> RETRYABLE = Set.of(408, 429, 500, 502, 503, 504);

    private final int maxAttempts;
    private final long initialNanos;
    private final long maxNanos;
    private final RegistryListener listener;

    RetryInterceptor(int maxAttempts, Duration initialBackoff, Duration maxBackoff, RegistryListener listener) {
        this.maxAttempts = maxAttempts;
        this.initialNanos = initialBackoff.toNanos();
        this.maxNanos = maxBackoff.toNanos();
        this.listener = listener;
    }

    @Override
    Response intercept(Chain chain, Request request, RequestSpec spec) throws IOException {
        Attempt routed = request.tag(Attempt.class);
        String host = Urls.hostPort(request.url());
        for (int attempt = 1; ; attempt++) {
            long delay;
            String cause;
            try {
                Response response = chain.proceed(request);
                if (!RETRYABLE.contains(response.code()) || !spec.idempotent() || attempt >= maxAttempts) {
                    return response;
                }
                delay = retryAfter(response, backoff(attempt));
                cause = "HTTP " + response.code();
                if (delay > spec.remainingNanos()) {
                    return response;
                }
                response.close();
            } catch (IOException e) {
                if (attempt >= maxAttempts || !spec.idempotent() || chain.call().isCanceled()
                        || !isTransient(e, routed)) {
                    throw e;
                }
                delay = backoff(attempt);
                cause = HostFallbackInterceptor.describe(e);
                if (delay > spec.remainingNanos()) {
                    throw e;
                }
            }
            log.info("Retrying {} at {} in {} ms after {} (attempt {} of {})", spec.what(), host,
                    TimeUnit.NANOSECONDS.toMillis(delay), cause, attempt + 1, maxAttempts);
            listener.retrying(host, spec.what(), attempt + 1, cause);
            sleep(delay);
        }
    }

    private static boolean isTransient(IOException e, Attempt routed) {
        if (e instanceof RegistryException re) {
            return RETRYABLE.contains(re.status());
        }
        if (e instanceof SSLException && !(e.getCause() instanceof IOException)) {
            return false; // certificate and protocol problems do not heal by waiting
        }
        boolean unreachable = e instanceof ConnectException || e instanceof UnknownHostException
                || e instanceof NoRouteToHostException;
        return !(unreachable && routed != null && routed.hasFallback());
    }

    /** Equal jitter: half the exponential delay is fixed, half random, so clients that failed together spread. */
    private long backoff(int attempt) {
        long exponential = Math.min(maxNanos, initialNanos << Math.min(attempt - 1, 30));
        return exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
    }

    private long retryAfter(Response response, long fallback) {
        String header = response.header("Retry-After");
        if (header != null) {
            try {
                return Math.min(maxNanos, TimeUnit.SECONDS.toNanos(Long.parseLong(header.trim())));
            } catch (NumberFormatException httpDate) {
                return fallback; // an HTTP date: rare from registries, and our own backoff is a fine stand-in
            }
        }
        return fallback;
    }

    private static void sleep(long nanos) throws InterruptedIOException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }
}
