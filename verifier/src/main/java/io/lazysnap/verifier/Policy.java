package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The node's trust policy: ordered rules, each matching image names by glob and deciding {@link Mode#ENFORCE},
 * {@link Mode#WARN} or {@link Mode#SKIP} with the signers it accepts, and a default rule for every other image.
 * The first rule that matches decides. Without a {@code [default]} table the default enforces and accepts no
 * signer, so unmatched images are refused: the policy fails closed. Immutable; keys, certificates and trusted
 * roots are loaded when the policy is. The format is in the module README.
 */
public final class Policy {

    private final String source;
    private final List<Rule> rules;
    private final Rule defaultRule;
    private final String fingerprint;

    Policy(String source, List<Rule> rules, Rule defaultRule, String fingerprint) {
        this.source = source;
        this.rules = List.copyOf(rules);
        this.defaultRule = defaultRule;
        this.fingerprint = fingerprint;
    }

    /**
     * Reads a policy file: lazysnap's TOML, or a containers-policy.json (a name ending in {@code .json}, e.g.
     * {@code /etc/containers/policy.json}). Relative paths in it (keys, trusted roots, CA certificates) are resolved
     * against the file's directory.
     *
     * @throws PolicyException naming the file, the line and the problem
     */
    public static Policy load(Path file) throws PolicyException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new PolicyException(file.toString(), 0, "cannot read the policy: " + e.getMessage(), e);
        }
        Path baseDir = file.toAbsolutePath().getParent();
        return file.getFileName().toString().endsWith(".json")
                ? new ContainersPolicyParser(file.toString(), baseDir).parse(text)
                : parse(text, baseDir, file.toString());
    }

    /**
     * Parses policy TOML.
     *
     * @param baseDir what relative paths in it are resolved against
     * @param source  names the policy in error messages, e.g. the config file it is embedded in
     */
    public static Policy parse(String toml, Path baseDir, String source) throws PolicyException {
        return new PolicyParser(source, baseDir).parse(toml);
    }

    /**
     * A policy that enforces one public key for every image and, like {@code cosign verify --key}, binds the
     * signature to the digest only (any docker-reference). For {@code lazysnap verify --key}.
     */
    public static Policy requireKey(Path publicKeyPem) throws PolicyException {
        String keys = "keys = [\"" + publicKeyPem.toAbsolutePath().toString().replace("\\", "\\\\") + "\"]";
        return parse("[default]\nmode = \"enforce\"\nsigned_reference = \"any\"\n" + keys + "\n", null,
                publicKeyPem.toString());
    }

    /**
     * A digest of everything this policy was made from (its text, and every key, certificate and trusted root file
     * it read): it changes whenever what the policy decides may change.
     */
    public String fingerprint() {
        return fingerprint;
    }

    /** What the policy does with {@code image}. */
    public Mode modeFor(Reference image) {
        return ruleFor(image).mode();
    }

    /** What the policy does with images no rule names; the gate applies it when it cannot tell the image. */
    public Mode defaultMode() {
        return defaultRule.mode();
    }

    Rule ruleFor(Reference image) {
        return rules.stream().filter(r -> r.matches(image)).findFirst().orElse(defaultRule);
    }

    @Override
    public String toString() {
        return "policy " + source + " (" + rules.size() + " rules, default " + defaultRule.mode() + ")";
    }
}
