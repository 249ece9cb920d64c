package io.lazysnap.daemon.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * The image manifests the daemon works with, one cache for the signature gate, the layer resolver and pulls:
 * a manifest named by its digest never changes, so every layer of an image, every check and every pull shares one
 * fetch. What a tag points to is asked of the registry each time for the gate ({@link #current}: it wants the tag's
 * target now); layers whose Prepare pins no manifest (no gate pinned one) take the answer of the last minute
 * ({@link #recent}), so that an image's layers, prepared one after another, cost one resolution.
 */
public final class Manifests {

    private final RegistryClient registry;
    private final Platform platform;
    private final Cache<String, Manifest> byDigest = Caffeine.newBuilder().maximumSize(256).build();
    private final Map<String, CompletableFuture<Manifest>> fetching = new ConcurrentHashMap<>();
    private final Cache<String, Manifest> byTag = Caffeine.newBuilder()
            .maximumSize(256).expireAfterWrite(Duration.ofMinutes(1)).build();

    public Manifests(RegistryClient registry, Platform platform) {
        this.registry = registry;
        this.platform = platform;
    }

    /**
     * Manifest {@code digest} of {@code image}'s repository. Callers asking for a digest that is being fetched share
     * that fetch: a first Prepare has the gate, the resolver and the layers opened ahead all wanting it at once.
     */
    public Manifest pinned(Reference image, String digest) throws IOException {
        Manifest cached = byDigest.getIfPresent(digest);
        if (cached != null) {
            return cached;
        }
        CompletableFuture<Manifest> mine = new CompletableFuture<>();
        CompletableFuture<Manifest> other = fetching.putIfAbsent(digest, mine);
        if (other != null) {
            return await(other);
        }
        try {
            Manifest fetched = registry.manifest(image.withDigest(digest));
            add(fetched);
            mine.complete(fetched);
            return fetched;
        } catch (IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            fetching.remove(digest, mine);
        }
    }

    private static Manifest await(CompletableFuture<Manifest> fetch) throws IOException {
        try {
            return fetch.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while another caller fetched the manifest");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(io.getMessage(), io);
            }
            throw new IOException(e.getCause());
        }
    }

    /** The manifest (for this node's platform) that {@code image} names now. */
    public Manifest current(Reference image) throws IOException {
        Manifest resolved = registry.resolve(image, platform).manifest();
        add(resolved);
        byTag.put(image.toString(), resolved);
        return resolved;
    }

    /** What {@code image} named at most a minute ago. */
    public Manifest recent(Reference image) throws IOException {
        Manifest cached = byTag.getIfPresent(image.toString());
        return cached != null ? cached : current(image);
    }

    /** Whether {@link #pinned} would answer at once. */
    boolean hasPinned(String digest) {
        return byDigest.getIfPresent(digest) != null;
    }

    /** Whether {@link #recent} would answer at once. */
    boolean hasRecent(Reference image) {
        return byTag.getIfPresent(image.toString()) != null;
    }

    /** Keeps a manifest fetched and checked elsewhere (a pull resolved it). */
    public void add(Manifest manifest) {
        byDigest.put(manifest.descriptor().digest(), manifest);
    }
}
