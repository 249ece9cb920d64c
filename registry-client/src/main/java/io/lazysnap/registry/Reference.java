package io.lazysnap.registry;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised image reference: {@code registry/repository[:tag][@digest]}, following the grammar docker and
 * containerd share. Short names are expanded the way {@code docker pull} does ({@code alpine} becomes
 * {@code docker.io/library/alpine:latest}). Immutable.
 */
public final class Reference {

    static final String DOCKER_HUB = "docker.io";
    private static final int MAX_NAME_LENGTH = 255;
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern HOST = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                    + "|\\[[0-9a-fA-F:.]+(?:%[A-Za-z0-9]+)?\\])(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern HEX64 = Pattern.compile("[a-f0-9]{64}");

    private final String registry;
    private final String repository;
    private final String tag;
    private final String digest;

    private Reference(String registry, String repository, String tag, String digest) {
        this.registry = registry;
        this.repository = repository;
        this.tag = tag;
        this.digest = digest;
    }

    /**
     * Parses and normalises a reference.
     *
     * @throws IllegalArgumentException naming the reference and what is wrong with it
     */
    public static Reference parse(String text) {
        Objects.requireNonNull(text, "reference");
        if (text.isEmpty()) {
            throw invalid(text, "it is empty");
        }
        String rest = text;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            try {
                Digests.validate(digest);
            } catch (IllegalArgumentException e) {
                throw invalid(text, e.getMessage());
            }
        }
        // A tag's colon comes after the last slash; an earlier colon is a registry port.
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/') && !rest.endsWith("]")) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(text, "tag '" + tag + "' is not valid");
            }
        }
        String registry = DOCKER_HUB;
        String path = rest;
        int slash = rest.indexOf('/');
        if (slash >= 0 && looksLikeRegistry(rest.substring(0, slash))) {
            registry = rest.substring(0, slash);
            path = rest.substring(slash + 1);
            if (!HOST.matcher(registry).matches()) {
                throw invalid(text, "registry '" + registry + "' is not a valid host[:port]");
            }
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (HEX64.matcher(path).matches()) {
            throw invalid(text, "a 64-character hex string is an image ID, not a repository name");
        }
        if (registry.equals(DOCKER_HUB) && path.indexOf('/') < 0) {
            path = "library/" + path;
        }
        if (path.isEmpty()) {
            throw invalid(text, "the repository name is empty");
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                String why = component.chars().anyMatch(Character::isUpperCase)
                        ? "repository names must be lowercase"
                        : "path component '" + component + "' is not valid";
                throw invalid(text, why);
            }
        }
        if (registry.length() + 1 + path.length() > MAX_NAME_LENGTH) {
            throw invalid(text, "the name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new Reference(registry, path, tag, digest);
    }

    // Mirrors docker's rule: the first component names a registry only if it could not be a repository.
    private static boolean looksLikeRegistry(String first) {
        return first.contains(".") || first.contains(":") || first.equals("localhost")
                || first.startsWith("[") || !first.equals(first.toLowerCase(java.util.Locale.ROOT));
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid image reference '" + text + "': " + why);
    }

    /** The registry host namespace, e.g. {@code docker.io}, {@code localhost:5000} or {@code [::1]:5000}. */
    public String registry() {
        return registry;
    }

    /** The repository path, e.g. {@code library/alpine}. */
    public String repository() {
        return repository;
    }

    public Optional<String> tag() {
        return Optional.ofNullable(tag);
    }

    public Optional<String> digest() {
        return Optional.ofNullable(digest);
    }

    /** {@code registry/repository}, without tag or digest. */
    public String name() {
        return registry + "/" + repository;
    }

    /** The digest if there is one (it pins the content), else the tag: what goes after {@code /manifests/}. */
    String manifestKey() {
        return digest != null ? digest : tag;
    }

    public Reference withTag(String newTag) {
        return parse(name() + ":" + newTag);
    }

    public Reference withDigest(String newDigest) {
        return parse(name() + (tag != null ? ":" + tag : "") + "@" + newDigest);
    }

    @Override
    public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Reference r && r.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
