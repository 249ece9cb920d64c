package io.lazysnap.verifier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.lazysnap.registry.Reference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Turns policy TOML into {@link Rule}s, loading every key, certificate and trusted root it names, and rejecting
 * anything unknown or unusable with its line: a typo in a security policy must stop the daemon, not weaken it.
 */
final class PolicyParser {

    private static final TomlMapper TOML = new TomlMapper();
    private static final Set<String> TOP = Set.of("rule", "default");
    private static final Set<String> RULE_KEYS = Set.of("match", "mode", "keys", "keyless", "trusted_root", "ca",
            "rekor", "signed_reference", "signature_repository");
    private static final Set<String> IDENTITY_KEYS = Set.of("issuer", "issuer_regex", "subject", "subject_regex");
    private static final Set<String> CA_KEYS = Set.of("roots", "intermediates");

    private final String source;
    private final Path baseDir;
    private final PolicySources sources = new PolicySources();
    private final Map<Path, TrustedRoot> trustedRoots = new HashMap<>();
    private TomlLines lines;

    PolicyParser(String source, Path baseDir) {
        this.source = source;
        this.baseDir = baseDir;
    }

    Policy parse(String text) throws PolicyException {
        sources.add(source, text);
        lines = new TomlLines(text);
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new PolicyException(source, line, "not valid TOML: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isEmpty()) {
            throw new PolicyException(source, 0, "the policy is empty; give at least a [default] rule", null);
        }
        onlyKeys(root, "", TOP);
        List<Rule> rules = new ArrayList<>();
        JsonNode ruleNodes = root.path("rule");
        if (!ruleNodes.isMissingNode() && !ruleNodes.isArray()) {
            throw error("", "rule", "rule must be an array of tables: write [[rule]]");
        }
        for (int i = 0; i < ruleNodes.size(); i++) {
            rules.add(rule(ruleNodes.get(i), "rule[" + i + "]", "rule " + (i + 1)));
        }
        Rule defaultRule = root.has("default") ? rule(root.get("default"), "default", "default rule")
                : new Rule("default rule", List.of(), Mode.ENFORCE,
                new Signers(List.of(), List.of(), null, null, false), SignedReference.SAME_REPOSITORY, null, false);
        return new Policy(source, rules, defaultRule, sources.fingerprint());
    }

    private Rule rule(JsonNode node, String table, String name) throws PolicyException {
        if (!node.isObject()) {
            throw error(table, null, name + " must be a table");
        }
        onlyKeys(node, table, RULE_KEYS);
        boolean isDefault = table.equals("default");
        List<RepositoryGlob> match = new ArrayList<>();
        if (isDefault && node.has("match")) {
            throw error(table, "match", "the default rule matches every image no rule matches; remove match");
        }
        if (!isDefault) {
            for (String glob : strings(node, table, "match")) {
                try {
                    match.add(new RepositoryGlob(glob));
                } catch (IllegalArgumentException e) {
                    throw error(table, "match", name + ": " + e.getMessage());
                }
            }
            if (match.isEmpty()) {
                throw error(table, "match", name + " needs match = [\"registry/repository/**\", …]");
            }
        }
        Mode mode = mode(node, table, name);
        TrustedRoot trustedRoot = node.has("trusted_root") ? trustedRoot(node, table, name) : null;
        PrivateCa ca = node.has("ca") ? ca(node.get("ca"), table + ".ca", name) : null;
        List<TrustedKey> keys = new ArrayList<>();
        for (String file : strings(node, table, "keys")) {
            keys.add(key(file, table, name));
        }
        List<Identity> identities = new ArrayList<>();
        JsonNode keyless = node.path("keyless");
        if (!keyless.isMissingNode() && !keyless.isArray()) {
            throw error(table, "keyless", name + ": keyless must be an array of tables: write [[" + table.replaceAll(
                    "\\[\\d+]", "") + ".keyless]]");
        }
        for (int i = 0; i < keyless.size(); i++) {
            identities.add(identity(keyless.get(i), table + ".keyless[" + i + "]", name, trustedRoot, ca));
        }
        boolean rekor = bool(node, table, "rekor", name);
        if (rekor && trustedRoot == null) {
            throw error(table, "rekor", name + ": rekor = true needs a trusted_root holding the Rekor key");
        }
        return new Rule(name, match, mode, new Signers(keys, identities, trustedRoot, ca, rekor),
                signedReference(node, table, name), signatureRepository(node, table, name), false);
    }

    private Mode mode(JsonNode node, String table, String name) throws PolicyException {
        if (!node.has("mode")) {
            return Mode.ENFORCE;
        }
        String text = text(node, table, "mode");
        try {
            return Mode.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw error(table, "mode", name + ": mode '" + text + "' is not one of enforce, warn, skip");
        }
    }

    private Identity identity(JsonNode node, String table, String name, TrustedRoot root, PrivateCa ca)
            throws PolicyException {
        if (!node.isObject()) {
            throw error(table, null, name + ": each keyless entry must be a table");
        }
        onlyKeys(node, table, IDENTITY_KEYS);
        if (root == null && ca == null) {
            throw error(table, null, name + ": keyless identities need a trusted_root (Fulcio) or a ca to check"
                    + " certificates against");
        }
        TextMatcher subject = matcher(node, table, "subject", name);
        if (subject == null) {
            throw error(table, null, name + ": a keyless identity needs subject or subject_regex");
        }
        TextMatcher issuer = matcher(node, table, "issuer", name);
        if (issuer == null && root != null) {
            throw error(table, null, name + ": a keyless identity needs issuer or issuer_regex: a subject alone"
                    + " could be claimed through another OIDC provider");
        }
        return new Identity(issuer, subject);
    }

    private TextMatcher matcher(JsonNode node, String table, String field, String name) throws PolicyException {
        boolean exact = node.has(field);
        boolean regex = node.has(field + "_regex");
        if (exact && regex) {
            throw error(table, field, name + ": give " + field + " or " + field + "_regex, not both");
        }
        if (exact) {
            return TextMatcher.exact(text(node, table, field));
        }
        if (!regex) {
            return null;
        }
        try {
            return TextMatcher.regex(text(node, table, field + "_regex"));
        } catch (PatternSyntaxException e) {
            throw error(table, field + "_regex", name + ": " + field + "_regex is not a valid regex: "
                    + e.getDescription());
        }
    }

    private TrustedRoot trustedRoot(JsonNode node, String table, String name) throws PolicyException {
        Path file = path(text(node, table, "trusted_root"));
        TrustedRoot cached = trustedRoots.get(file);
        if (cached != null) {
            return cached;
        }
        try {
            sources.add(file.toString(), readTrustedRoot(file));
            TrustedRoot root = TrustedRoot.load(file);
            trustedRoots.put(file, root);
            return root;
        } catch (IllegalArgumentException e) {
            throw error(table, "trusted_root", name + ": " + e.getMessage());
        }
    }

    private PrivateCa ca(JsonNode node, String table, String name) throws PolicyException {
        if (!node.isObject()) {
            throw error(table, null, name + ": ca must be a table with roots and intermediates");
        }
        onlyKeys(node, table, CA_KEYS);
        if (!node.has("roots")) {
            throw error(table, null, name + ": ca needs roots = \"<PEM file of root certificates>\"");
        }
        Path roots = path(text(node, table, "roots"));
        List<X509Certificate> intermediates = node.has("intermediates")
                ? certificates(path(text(node, table, "intermediates")), table, "intermediates", name) : List.of();
        try {
            return new PrivateCa("ca " + roots, certificates(roots, table, "roots", name), intermediates);
        } catch (IllegalArgumentException e) {
            throw error(table, "roots", name + ": " + roots + " holds " + e.getMessage());
        }
    }

    /** The trusted root's bytes for the fingerprint; an unreadable one is reported by {@link TrustedRoot#load}. */
    private static byte[] readTrustedRoot(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private List<X509Certificate> certificates(Path file, String table, String key, String name)
            throws PolicyException {
        try {
            String pem = Files.readString(file);
            sources.add(file.toString(), pem);
            return Pem.certificates(pem);
        } catch (IOException e) {
            throw error(table, key, name + ": cannot read " + file + ": " + e.getMessage());
        } catch (CertificateException e) {
            throw error(table, key, name + ": " + file + " is not PEM certificates: " + e.getMessage());
        }
    }

    private TrustedKey key(String file, String table, String name) throws PolicyException {
        Path path = path(file);
        try {
            String pem = Files.readString(path);
            sources.add(path.toString(), pem);
            return TrustedKey.of(path.toString(), pem);
        } catch (IOException e) {
            throw error(table, "keys", name + ": cannot read key " + path + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw error(table, "keys", name + ": " + e.getMessage());
        }
    }

    private SignedReference signedReference(JsonNode node, String table, String name) throws PolicyException {
        if (!node.has("signed_reference")) {
            return SignedReference.SAME_REPOSITORY;
        }
        String text = text(node, table, "signed_reference");
        switch (text) {
            case "repository":
                return SignedReference.SAME_REPOSITORY;
            case "any":
                return SignedReference.ANY;
            default:
                try {
                    return SignedReference.exactly(text);
                } catch (IllegalArgumentException e) {
                    throw error(table, "signed_reference", name + ": signed_reference must be repository, any or"
                            + " a registry/repository name: " + e.getMessage());
                }
        }
    }

    private Reference signatureRepository(JsonNode node, String table, String name) throws PolicyException {
        if (!node.has("signature_repository")) {
            return null;
        }
        String text = text(node, table, "signature_repository");
        try {
            Reference ref = Reference.parse(text);
            if (ref.digest().isPresent() || text.substring(text.lastIndexOf('/') + 1).contains(":")) {
                throw new IllegalArgumentException("give registry/repository without tag or digest");
            }
            return ref;
        } catch (IllegalArgumentException e) {
            throw error(table, "signature_repository", name + ": " + e.getMessage());
        }
    }

    private boolean bool(JsonNode node, String table, String key, String name) throws PolicyException {
        JsonNode value = node.path(key);
        if (value.isMissingNode()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw error(table, key, name + ": " + key + " must be true or false");
        }
        return value.asBoolean();
    }

    private List<String> strings(JsonNode node, String table, String key) throws PolicyException {
        JsonNode value = node.path(key);
        if (value.isMissingNode()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw error(table, key, key + " must be an array of strings, e.g. " + key + " = [\"…\"]");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().isBlank()) {
                throw error(table, key, key + " must hold non-empty strings only");
            }
            out.add(item.asText());
        }
        return out;
    }

    private String text(JsonNode node, String table, String key) throws PolicyException {
        JsonNode value = node.path(key);
        if (!value.isTextual() || value.asText().isBlank()) {
            throw error(table, key, key + " must be a non-empty string");
        }
        return value.asText();
    }

    private void onlyKeys(JsonNode node, String table, Set<String> allowed) throws PolicyException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw error(table, key, "unknown key '" + key + "'" + (table.isEmpty() ? "" : " in " + table)
                        + "; expected one of " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    private Path path(String file) {
        Path p = Path.of(file);
        return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
    }

    private PolicyException error(String table, String key, String reason) {
        int line = key == null ? lines.of(table) : lines.of(table, key);
        return new PolicyException(source, line, reason, null);
    }
}
