package io.lazysnap.daemon.remote;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Reference;

/** A layer blob and the repository that serves it, its descriptor's annotations merged with the labels'. */
record ResolvedLayer(Reference repository, Descriptor descriptor) {
}
