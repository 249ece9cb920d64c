package io.lazysnap.registry;

import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes sure a successful answer is the object that was asked for, reading a whole object's body while the retry
 * policy can still act on a failure: it must have its digest, and anything short, long or altered is an
 * {@link IOException}, so it is retried and never returned. A range read must come back as that range (a
 * {@code 206} with the matching {@code Content-Range}) or as a {@code 200} with the whole blob, whose bytes before the
 * range are skipped here; its caller reads the body itself, straight into the array or file it ends up in, and
 * checks its length.
 */
final class ExactBodyInterceptor implements Interceptor {

    private static final Logger log = LoggerFactory.getLogger(ExactBodyInterceptor.class);
    static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

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
        if (spec.isRange()) {
            return positioned(response, spec);
        }
        try (ResponseBody body = response.body()) {
            return response.newBuilder().body(ResponseBody.create(whole(response, body, spec), body.contentType()))
                    .build();
        }
    }

    /** The answer to a range read, checked to be that range or the whole blob, whose body starts at the range. */
    private Response positioned(Response response, RequestSpec spec) throws IOException {
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
