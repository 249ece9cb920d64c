package io.lazysnap.daemon.remote;

import io.lazysnap.registry.Platform;

/** The platform of this node, in OCI terms, for picking a manifest out of an index. */
public final class HostPlatform {

    private HostPlatform() {
    }

    public static Platform get() {
        return switch (System.getProperty("os.arch")) {
            case "aarch64", "arm64" -> Platform.parse("linux/arm64");
            case "amd64", "x86_64" -> Platform.LINUX_AMD64;
            default -> Platform.parse("linux/" + System.getProperty("os.arch"));
        };
    }
}
