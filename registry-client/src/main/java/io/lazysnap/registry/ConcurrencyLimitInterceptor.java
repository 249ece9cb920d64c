package io.lazysnap.registry;

import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Caps the requests in flight to one host, so a burst of FUSE reads cannot open hundreds of connections to a
 * registry (or get us rate-limited). A slot is held until the response body is closed.
 */
final class ConcurrencyLimitInterceptor implements Interceptor {

    private final int perHost;
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();

    ConcurrencyLimitInterceptor(int perHost) {
        this.perHost = perHost;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        RequestSpec spec = request.tag(RequestSpec.class);
        String host = Urls.hostPort(request.url());
        Semaphore semaphore = slots.computeIfAbsent(host, h -> new Semaphore(perHost, true));
        long wait = spec == null ? Long.MAX_VALUE : Math.max(0, spec.remainingNanos());
        try {
            if (!semaphore.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                throw new InterruptedIOException("deadline passed while waiting for one of " + perHost
                        + " request slots for " + host);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a request slot for " + host);
        }
        Response response;
        try {
            response = chain.proceed(request);
        } catch (IOException | RuntimeException e) {
            semaphore.release();
            throw e;
        }
        return response.newBuilder().body(new Releasing(response.body(), semaphore)).build();
    }

    /** Gives the slot back exactly once, when the body is closed (which also happens when it is read fully). */
    private static final class Releasing extends ResponseBody {
        private final ResponseBody delegate;
        private final Semaphore semaphore;
        private final AtomicBoolean released = new AtomicBoolean();
        private final BufferedSource source;

        Releasing(ResponseBody delegate, Semaphore semaphore) {
            this.delegate = delegate;
            this.semaphore = semaphore;
            this.source = Okio.buffer(new ForwardingSource(delegate.source()) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        release();
                    }
                }
            });
        }

        private void release() {
            if (released.compareAndSet(false, true)) {
                semaphore.release();
            }
        }

        @Override
        public MediaType contentType() {
            return delegate.contentType();
        }

        @Override
        public long contentLength() {
            return delegate.contentLength();
        }

        @Override
        public BufferedSource source() {
            return source;
        }

        @Override
        public void close() {
            try {
                source.close();
            } catch (IOException ignored) {
                // closing a response body only releases resources; there is nothing to report
            } finally {
                release();
            }
        }
    }
}
