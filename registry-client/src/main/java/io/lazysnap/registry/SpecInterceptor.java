package io.lazysnap.registry;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/** An interceptor of the client's own registry requests (tagged with a {@link RequestSpec}); others pass untouched. */
abstract class SpecInterceptor implements Interceptor {

    @Override
    public final Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        RequestSpec spec = request.tag(RequestSpec.class);
        return spec == null ? chain.proceed(request) : intercept(chain, request, spec);
    }

    abstract Response intercept(Chain chain, Request request, RequestSpec spec) throws IOException;
}
