package io.lazysnap.registry;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What a host may be trusted to do, as in containerd's hosts.toml {@code capabilities}. */
enum Capability {
    /** Fetch content by digest: safe from any mirror, since the digest proves the bytes. */
    PULL,
    /** Turn a tag into a digest: a trusted operation. */
    RESOLVE,
    PUSH;

    static final Set<Capability> ALL = EnumSet.allOf(Capability.class);

    static Capability parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown host capability '" + text + "' (pull, resolve, push)");
        }
    }
}
