package io.lazysnap.daemon.snapshot;

import java.util.List;

/** A serialized mount(2) call, as containerd's {@code types.Mount}: containerd performs it, not us. */
public record MountSpec(String type, String source, List<String> options) {

    public MountSpec {
        options = List.copyOf(options);
    }
}
