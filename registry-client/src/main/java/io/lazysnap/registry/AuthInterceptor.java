package io.lazysnap.registry;

import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;

/**
 * Sends what the {@link Authorizer} knows a host wants, and answers one {@code 401} challenge per request by
 * fetching a token (or using basic credentials) and trying once more.
 */
final class AuthInterceptor implements Interceptor {

    private final Authorizer authorizer;

    AuthInterceptor(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        RequestSpec spec = request.tag(RequestSpec.class);
        if (spec == null) {
            return chain.proceed(request);
        }
        String header = authorizer.header(request.url(), spec);
        Response response = chain.proceed(withAuthorization(request, header));
        if (response.code() != 401 || !authorizer.learn(request.url(), spec, response, header)) {
            return response;
        }
        response.close();
        return chain.proceed(withAuthorization(request, authorizer.header(request.url(), spec)));
    }

    private static Request withAuthorization(Request request, String header) {
        return header == null ? request : request.newBuilder().header("Authorization", header).build();
    }
}
