package io.lazysnap.registry;

import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Reports every HTTP exchange (after redirects and retries are unrolled) to the listener and the debug log, and
 * the body bytes of each as they are read (in batches of up to a MiB).
 */
final class ListenerInterceptor implements Interceptor {

    private static final Logger log = LoggerFactory.getLogger(ListenerInterceptor.class);

    /** Body bytes are reported in batches of about this many, and when the body ends or is closed. */
    private static final long REPORT_BYTES = 1 << 20;

    private final RegistryListener listener;

    ListenerInterceptor(RegistryListener listener) {
        this.listener = listener;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        String host = Urls.hostPort(request.url());
        long start = System.nanoTime();
        try {
            Response response = chain.proceed(request);
            long nanos = System.nanoTime() - start;
            log.debug("{} {} -> {} in {} ms", request.method(), Urls.redacted(request.url()), response.code(),
                    nanos / 1_000_000);
            listener.exchanged(host, request.method(), response.code(), nanos);
            ResponseBody body = response.body();
            return body == null ? response : response.newBuilder().body(counted(body, host)).build();
        } catch (IOException e) {
            log.debug("{} {} failed: {}", request.method(), Urls.redacted(request.url()), e.toString());
            listener.exchanged(host, request.method(), 0, System.nanoTime() - start);
            throw e;
        }
    }

    private ResponseBody counted(ResponseBody body, String host) {
        ForwardingSource counting = new ForwardingSource(body.source()) {
            /** Read but not yet reported: a download reads 8 KiB at a time, too often to update a metric each. */
            private long unreported;

            @Override
            public long read(Buffer sink, long byteCount) throws IOException {
                long n = super.read(sink, byteCount);
                if (n < 0 || (unreported += n) >= REPORT_BYTES) {
                    report();
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                report();
                super.close();
            }

            private void report() {
                if (unreported > 0) {
                    listener.received(host, unreported);
                    unreported = 0;
                }
            }
        };
        return ResponseBody.create(Okio.buffer(counting), body.contentType(), body.contentLength());
    }
}
