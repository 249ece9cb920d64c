package io.lazysnap.registry;

import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes sure a successful answer carries exactly the bytes that were asked for, reading the body while the retry
 * policy can still act on a failure. A range read must come back as that range (a {@code 206} with the matching
 * {@code Content-Range} and length, or a {@code 200} with the whole blob, from which the range is cut); a whole
 * object must have its digest. Anything short, long, shifted or altered is an {@link IOException}, so it is
 * retried and never returned.
 */
final class ExactBodyInterceptor implements Interceptor {

    private static final Logger log = LoggerFactory.getLogger(ExactBodyInterceptor.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final Set<String> hostsIgnoringRange = ConcurrentHashMap.newKeySet();
    /** The registries (as references name them) one of whose hosts ignored a range request. */
    private final Set<String> namespacesIgnoringRange = ConcurrentHashMap.newKeySet();

    boolean ignoresRanges(String namespace) {
        return namespacesIgnoringRange.contains(namespace);
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        RequestSpec spec = request.tag(RequestSpec.class);
        Response response = chain.proceed(request);
        if (spec == null || request.method().equals("HEAD") || !response.isSuccessful()
                || !spec.isRange() && spec.maxBody() <= 0) {
            return response;
        }
        if (spec.streamed()) {
            return streamed(response, spec);
        }
        try (ResponseBody body = response.body()) {
            if (spec.isRange()) {
                Buffer bytes = range(response, body.source(), spec);
                return response.newBuilder().body(ResponseBody.create(bytes, body.contentType(), bytes.size()))
                        .build();
            }
            return response.newBuilder().body(ResponseBody.create(whole(response, body, spec), body.contentType()))
                    .build();
        }
    }

    /**
     * A range the caller reads itself: the answer is checked to be that range, or the whole blob (whose bytes before
     * the range are skipped here); the body's length is the caller's to check.
     */
    private Response streamed(Response response, RequestSpec spec) throws IOException {
        try {
            BufferedSource source = response.body().source();
            if (ignoredRange(response, spec)) {
                source.skip(spec.rangeOffset());
            }
            return response;
        } catch (IOException | RuntimeException e) {
            response.close();
            throw e;
        }
    }

    /** Whether the answer is the whole blob (the server ignored Range); throws unless it is exactly the range. */
    private boolean ignoredRange(Response response, RequestSpec spec) throws IOException {
        long offset = spec.rangeOffset();
        long end = offset + spec.rangeLength() - 1;
        String host = Urls.hostPort(response.request().url());
        if (response.code() == 200) {
            namespacesIgnoringRange.add(spec.namespace());
            if (hostsIgnoringRange.add(host)) {
                log.warn("{} ignores HTTP Range requests; each lazy read downloads up to its end offset", host);
            }
            return true;
        }
        String contentRange = response.header("Content-Range", "");
        Matcher m = CONTENT_RANGE.matcher(contentRange);
        if (response.code() != 206 || !m.matches() || Long.parseLong(m.group(1)) != offset
                || Long.parseLong(m.group(2)) != end) {
            throw new IOException(host + " answered HTTP " + response.code() + " with Content-Range '"
                    + contentRange + "' for bytes " + offset + "-" + end + " of " + spec.what());
        }
        return false;
    }

    private Buffer range(Response response, BufferedSource source, RequestSpec spec) throws IOException {
        String host = Urls.hostPort(response.request().url());
        if (ignoredRange(response, spec)) {
            // The server sends the whole blob: take our slice and hang up on the rest.
            source.skip(spec.rangeOffset());
            return exactly(source, spec.rangeLength(), spec, host);
        }
        Buffer bytes = exactly(source, spec.rangeLength(), spec, host);
        if (!source.exhausted()) {
            throw new IOException(host + " sent more than bytes " + spec.rangeOffset() + "-"
                    + (spec.rangeOffset() + spec.rangeLength() - 1) + " of " + spec.what());
        }
        return bytes;
    }

    /**
     * The next {@code length} bytes, moved out of the connection's buffer rather than copied: a lazy read's bytes
     * are otherwise copied on every hand-over, and the garbage made young collections stop the daemon during a
     * container's start.
     */
    private static Buffer exactly(BufferedSource source, int length, RequestSpec spec, String host)
            throws IOException {
        if (!source.request(length)) {
            throw new IOException(host + " sent a truncated body for " + spec.what() + ": "
                    + source.getBuffer().size() + " of " + length + " bytes");
        }
        Buffer bytes = new Buffer();
        source.readFully(bytes, length);
        return bytes;
    }

    private static byte[] whole(Response response, ResponseBody body, RequestSpec spec) throws IOException {
        String host = Urls.hostPort(response.request().url());
        if (body.contentLength() > spec.maxBody()) {
            throw new RegistryException(spec.what() + " from " + host + " is " + body.contentLength()
                    + " bytes, more than the " + spec.maxBody() + " accepted", 0);
        }
        BufferedSource source = body.source();
        if (source.request(spec.maxBody() + 1)) {
            throw new RegistryException(spec.what() + " from " + host + " is larger than the " + spec.maxBody()
                    + " bytes accepted", 0);
        }
        byte[] bytes = source.readByteArray();
        if (body.contentLength() >= 0 && bytes.length != body.contentLength()) {
            throw new IOException(host + " sent a truncated body for " + spec.what() + ": " + bytes.length
                    + " of " + body.contentLength() + " bytes");
        }
        // For a tag there is no digest to expect, but the registry's own claim can still be checked.
        String expected = spec.expectedDigest() != null ? spec.expectedDigest()
                : response.header("Docker-Content-Digest");
        if (expected != null && isVerifiable(expected) && !Digests.matches(expected, bytes)) {
            throw new IOException("digest mismatch for " + spec.what() + " from " + host + ": expected "
                    + expected + ", got " + Digests.sha256(bytes));
        }
        return bytes;
    }

    private static boolean isVerifiable(String digest) {
        try {
            Digests.validate(digest);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
