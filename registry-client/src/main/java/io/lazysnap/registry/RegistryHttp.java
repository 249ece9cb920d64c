package io.lazysnap.registry;

import com.fasterxml.jackson.databind.JsonNode;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one logical registry request through the interceptor chain under a deadline, and turns an unsuccessful
 * final answer into a {@link RegistryException} that says what failed where. Callers only see successful
 * responses.
 */
final class RegistryHttp {

    private final OkHttpClient client;
    private final long totalTimeoutNanos;
    private final long rangeTimeoutNanos;

    /**
     * @param totalTimeoutNanos the deadline of one logical request, retries and fallbacks included
     * @param rangeTimeoutNanos the same for a ranged read, whose size is bounded: a lazy read waiting on it must
     *                          not wait a whole blob download's deadline for a registry that trickles bytes
     */
    RegistryHttp(OkHttpClient client, long totalTimeoutNanos, long rangeTimeoutNanos) {
        this.client = client;
        this.totalTimeoutNanos = totalTimeoutNanos;
        this.rangeTimeoutNanos = rangeTimeoutNanos;
    }

    /** {@code https://<namespace>/v2/<repository>/<suffix>}: the host is replaced when the request is routed. */
    static HttpUrl logicalUrl(Reference ref, String suffix) {
        return HttpUrl.get("https://" + ref.registry() + "/v2/" + ref.repository() + "/" + suffix);
    }

    RequestSpec spec(Reference ref, Capability capability, List<String> scopes, String what, String expectedDigest,
                     long maxBody, boolean idempotent) {
        return new RequestSpec(ref.registry(), capability, scopes, what, -1, 0, expectedDigest, maxBody, idempotent,
                System.nanoTime() + totalTimeoutNanos);
    }

    /** When a ranged read starting now must be done, retries and fallbacks included. */
    long rangeDeadline() {
        return System.nanoTime() + Math.min(totalTimeoutNanos, rangeTimeoutNanos);
    }

    /** A pull of {@code length} bytes at {@code offset} whose body the caller reads (see {@link RequestSpec}). */
    RequestSpec range(Reference ref, String what, long offset, int length, long deadlineNanos) {
        return new RequestSpec(ref.registry(), Capability.PULL, pullScope(ref), what, offset, length, null, 0, true,
                deadlineNanos);
    }

    /** A read of a blob's last bytes, whose offset is not known yet: its caller checks the answer's range. */
    RequestSpec suffix(Reference ref, String what) {
        return new RequestSpec(ref.registry(), Capability.PULL, pullScope(ref), what, -1, 0, null, 0, true,
                rangeDeadline());
    }

    static List<String> pullScope(Reference ref) {
        return List.of("repository:" + ref.repository() + ":pull");
    }

    static List<String> pushScope(Reference ref) {
        return List.of("repository:" + ref.repository() + ":pull,push");
    }

    /** Executes and returns a successful response, or throws naming the object, the host and the cause. */
    Response execute(Request.Builder builder, RequestSpec spec) throws IOException {
        Request request = builder.tag(RequestSpec.class, spec).build();
        Call call = client.newCall(request);
        call.timeout().timeout(Math.max(1, spec.remainingNanos()), TimeUnit.NANOSECONDS);
        Response response;
        try {
            response = call.execute();
        } catch (RegistryException e) {
            throw e;
        } catch (InterruptedIOException e) {
            throw new RegistryException(spec.what() + " from " + spec.namespace() + ": deadline exceeded ("
                    + HostFallbackInterceptor.describe(e) + ")", 0, e);
        } catch (IOException e) {
            throw new RegistryException(spec.what() + " from " + spec.namespace() + ": "
                    + HostFallbackInterceptor.describe(e), 0, e);
        }
        if (response.isSuccessful()) {
            return response;
        }
        try (response) {
            throw new RegistryException(request.method() + " " + spec.what() + " from "
                    + Urls.hostPort(response.request().url()) + ": HTTP " + response.code()
                    + errorDetail(response.body()), response.code());
        }
    }

    /** Like {@link #execute} but answers {@code null} for a 404, for existence checks. */
    Response executeOrNull(Request.Builder builder, RequestSpec spec) throws IOException {
        try {
            return execute(builder, spec);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return null;
            }
            throw e;
        }
    }

    /** The codes and messages of an OCI error body, e.g. {@code MANIFEST_UNKNOWN}: they say more than a status. */
    private static String errorDetail(ResponseBody body) {
        try {
            BufferedSource source = body.source();
            source.request(16_384);
            byte[] bytes = source.getBuffer().readByteArray(Math.min(source.getBuffer().size(), 16_384));
            JsonNode errors = Json.read(bytes, "error").path("errors");
            List<String> parts = new ArrayList<>();
            errors.forEach(e -> parts.add((e.path("code").asText("") + " " + e.path("message").asText("")).trim()));
            return parts.isEmpty() ? "" : " " + String.join("; ", parts);
        } catch (IOException | IllegalArgumentException e) {
            return "";
        }
    }
}
