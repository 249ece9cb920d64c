package io.lazysnap.registry;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** An OS/architecture/variant triple as in OCI image indexes, normalised the way containerd does. Immutable. */
public final class Platform {

    /** What a Kubernetes node usually runs; the default when a caller names none. */
    public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", "");

    private final String os;
    private final String architecture;
    private final String variant;

    private Platform(String os, String architecture, String variant) {
        this.os = os;
        this.architecture = architecture;
        this.variant = variant;
    }

    /** Builds a platform, normalising aliases ({@code x86_64}, {@code aarch64}) and default variants. */
    public static Platform of(String os, String architecture, String variant) {
        String o = Objects.requireNonNull(os, "os").toLowerCase(Locale.ROOT);
        String a = Objects.requireNonNull(architecture, "architecture").toLowerCase(Locale.ROOT);
        String v = variant == null ? "" : variant.toLowerCase(Locale.ROOT);
        switch (a) {
            case "x86_64", "x86-64" -> a = "amd64";
            case "aarch64" -> a = "arm64";
            case "armhf" -> { a = "arm"; v = v.isEmpty() ? "v7" : v; }
            case "armel" -> { a = "arm"; v = v.isEmpty() ? "v6" : v; }
            default -> { }
        }
        // Variants that are implied by the architecture compare equal to no variant at all.
        if ((a.equals("arm64") && (v.equals("v8") || v.equals("8")))
                || (a.equals("amd64") && v.equals("v1"))) {
            v = "";
        }
        if (a.equals("arm") && v.isEmpty()) {
            v = "v7";
        }
        return new Platform(o, a, v);
    }

    /**
     * Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}.
     *
     * @throws IllegalArgumentException if the text is not of that form
     */
    public static Platform parse(String text) {
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("invalid platform '" + text + "': expected os/arch[/variant]");
        }
        return of(parts[0], parts[1], parts.length == 3 ? parts[2] : "");
    }

    public String os() {
        return os;
    }

    public String architecture() {
        return architecture;
    }

    /** The variant, or the empty string. */
    public String variant() {
        return variant;
    }

    /**
     * How well an image built for {@code candidate} runs here: 0 for an exact match, higher for an older ARM
     * variant this platform can still run, -1 for no match.
     */
    int rank(Platform candidate) {
        if (!os.equals(candidate.os) || !architecture.equals(candidate.architecture)) {
            return -1;
        }
        if (variant.equals(candidate.variant)) {
            return 0;
        }
        if (architecture.equals("arm")) {
            List<String> older = List.of("v8", "v7", "v6", "v5");
            int mine = older.indexOf(variant);
            int theirs = older.indexOf(candidate.variant);
            if (mine >= 0 && theirs > mine) {
                return theirs - mine;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Platform p && p.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
