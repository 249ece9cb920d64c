package io.lazysnap.registry;

import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;

/**
 * Sends what the {@link Authorizer} knows a host wants, and answers one {@code 401} challenge per request by
 * fetching a token (or using basic credentials) and trying once more. Only the host itself can challenge: a 401
 * from where it redirected to (blob storage) is final, so storage can never name a realm that gets the
 * registry's credentials. A mirror gets only credentials configured for the mirror.
 */
final class AuthInterceptor extends SpecInterceptor {

    private final Authorizer authorizer;

    AuthInterceptor(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    @Override
    Response intercept(Chain chain, Request request, RequestSpec spec) throws IOException {
        Attempt attempt = request.tag(Attempt.class);
        boolean mirror = attempt != null && attempt.endpoint().mirror();
        String header = authorizer.header(request.url(), spec, mirror);
        Response response = chain.proceed(withAuthorization(request, header));
        if (response.code() != 401 || !sameOrigin(response.request().url(), request.url())
                || !authorizer.learn(request.url(), spec, mirror, response, header)) {
            return response;
        }
        response.close();
        return chain.proceed(withAuthorization(request, authorizer.header(request.url(), spec, mirror)));
    }

    private static boolean sameOrigin(HttpUrl answered, HttpUrl asked) {
        return answered.scheme().equals(asked.scheme()) && answered.host().equals(asked.host())
                && answered.port() == asked.port();
    }

    private static Request withAuthorization(Request request, String header) {
        return header == null ? request : request.newBuilder().header("Authorization", header).build();
    }
}
