package io.lazysnap.registry;

import okhttp3.HttpUrl;

/** How URLs are shown to people and used as keys: never with the query, which may hold a signature. */
final class Urls {

    private Urls() {
    }

    /** {@code host[:port]} as it would appear in an image reference; IPv6 hosts in brackets. */
    static String hostPort(HttpUrl url) {
        String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
        return url.port() == HttpUrl.defaultPort(url.scheme()) ? host : host + ":" + url.port();
    }

    /** Scheme, host and path: safe for logs and messages. */
    static String redacted(HttpUrl url) {
        return url.scheme() + "://" + hostPort(url) + url.encodedPath();
    }
}
