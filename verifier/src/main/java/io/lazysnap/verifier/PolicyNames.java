package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;
import java.util.Locale;

/**
 * The one spelling of an image name that policy globs are matched against: the registry host lowercased (host
 * names are case-insensitive), HTTPS's default port dropped, Docker Hub's aliases folded into {@code docker.io}.
 * Without it, {@code REGISTRY.CORP/x} or {@code registry.corp:443/x} would name the same image as
 * {@code registry.corp/x} and yet escape a rule for {@code registry.corp/**}.
 */
final class PolicyNames {

    private PolicyNames() {
    }

    static String of(Reference image) {
        return host(image.registry()) + "/" + image.repository();
    }

    /** A glob's first component is a host like any other. */
    static String ofGlob(String glob) {
        int slash = glob.indexOf('/');
        return slash < 0 ? glob : host(glob.substring(0, slash)) + glob.substring(slash);
    }

    private static String host(String registry) {
        String host = registry.toLowerCase(Locale.ROOT);
        if (host.endsWith(":443")) {
            host = host.substring(0, host.length() - ":443".length());
        }
        return host.equals("index.docker.io") || host.equals("registry-1.docker.io") ? "docker.io" : host;
    }
}
