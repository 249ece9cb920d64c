package io.lazysnap.daemon.control;

import java.nio.file.Path;

/** Where the daemon takes pull requests: a socket beside its gRPC socket, {@code lazysnap.sock -> lazysnap-control.sock}. */
public final class ControlSocket {

    private ControlSocket() {
    }

    /** The control socket of the daemon serving containerd on {@code address}. */
    public static Path of(Path address) {
        String name = address.getFileName().toString();
        String stem = name.endsWith(".sock") ? name.substring(0, name.length() - ".sock".length()) : name;
        return address.resolveSibling(stem + "-control.sock");
    }
}
