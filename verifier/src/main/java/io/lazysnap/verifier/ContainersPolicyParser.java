package io.lazysnap.verifier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a containers-policy.json (the policy of podman, CRI-O and skopeo, usually {@code /etc/containers/policy.json})
 * into {@link Rule}s. Only the {@code docker} transport names registry images; its scopes become rules, the most
 * specific first, as that format decides, and {@code transports.docker[""]} or else {@code default} becomes the
 * default rule. A requirement lazysnap cannot check exactly as written (GPG {@code signedBy}, Fulcio or Rekor in
 * {@code sigstoreSigned}, identities bound to a tag, several signatures required at once) stops the daemon with the
 * reason. The one approximation, {@code matchRepoDigestOrExact} compared by repository and not tag, is logged at
 * WARN when the policy loads.
 */
final class ContainersPolicyParser {

    private static final Logger LOG = LoggerFactory.getLogger(ContainersPolicyParser.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TOP = Set.of("default", "transports");
    private static final Set<String> SIGSTORE_KEYS = Set.of("type", "keyPath", "keyPaths", "keyData", "keyDatas",
            "fulcio", "rekorPublicKeyPath", "rekorPublicKeyData", "signedIdentity");
    private static final String OWN_FORMAT = "write this rule in lazysnap's policy format instead (docs: verifier"
            + " README)";

    private final String source;
    private final Path baseDir;
    private final PolicySources sources = new PolicySources();

    ContainersPolicyParser(String source, Path baseDir) {
        this.source = source;
        this.baseDir = baseDir;
    }

    Policy parse(String text) throws PolicyException {
        sources.add(source, text);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new PolicyException(source, line, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw error("a containers-policy.json is a JSON object with default and transports");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!TOP.contains(name)) {
                throw error("unknown key '" + name + "' (expected default, transports)");
            }
        }
        if (!root.has("default")) {
            throw error("default is missing: give the requirements for images no scope names, e.g."
                    + " [{\"type\": \"reject\"}]");
        }
        JsonNode docker = root.path("transports").path("docker");
        if (!docker.isMissingNode() && !docker.isObject()) {
            throw error("transports.docker must map scopes to requirement lists");
        }
        List<Map.Entry<String, JsonNode>> scopes = new ArrayList<>();
        docker.fields().forEachRemaining(scopes::add);
        // The most specific scope decides: whole names before wildcard domains, longer before shorter.
        scopes.sort(Comparator.<Map.Entry<String, JsonNode>>comparingInt(e -> e.getKey().startsWith("*.") ? 1 : 0)
                .thenComparing(e -> -e.getKey().length()));
        List<Rule> rules = new ArrayList<>();
        Rule defaultRule = null;
        for (Map.Entry<String, JsonNode> scope : scopes) {
            if (scope.getKey().isEmpty()) {
                defaultRule = rule("transports.docker[\"\"]", List.of(), scope.getValue());
            } else {
                rules.add(rule("docker scope " + scope.getKey(), globs(scope.getKey()), scope.getValue()));
            }
        }
        if (defaultRule == null) {
            defaultRule = rule("default", List.of(), root.get("default"));
        }
        return new Policy(source, rules, defaultRule, sources.fingerprint());
    }

    /** A scope names a registry host, a namespace or a repository, and everything under it. */
    private List<RepositoryGlob> globs(String scope) throws PolicyException {
        if (scope.contains("@") || scope.lastIndexOf(':') > scope.lastIndexOf('/') && scope.contains("/")) {
            throw error("docker scope " + scope + " names a tag or digest; lazysnap's rules name repositories: "
                    + OWN_FORMAT);
        }
        if (scope.startsWith("*.") && scope.contains("/")) {
            throw error("docker scope " + scope + ": a wildcard scope is a domain only (*.example.com)");
        }
        String rest = scope.startsWith("*.") ? scope.substring(2) : scope;
        if (rest.contains("*") || rest.contains("?")) {
            throw error("docker scope " + scope + ": only a leading *. is a wildcard in a scope");
        }
        try {
            // A wildcard domain covers its subdomains on any port, as containers/image matches it.
            return scope.startsWith("*.")
                    ? List.of(new RepositoryGlob(scope + "/**"), new RepositoryGlob(scope + ":*/**"))
                    : List.of(new RepositoryGlob(scope + "/**"), new RepositoryGlob(scope));
        } catch (IllegalArgumentException e) {
            throw error("docker scope " + scope + ": " + e.getMessage());
        }
    }

    /** The requirements of one scope: all must hold, as containers-policy.json says. */
    private Rule rule(String name, List<RepositoryGlob> match, JsonNode requirements) throws PolicyException {
        if (!requirements.isArray() || requirements.isEmpty()) {
            throw error(name + ": requirements must be a non-empty array");
        }
        boolean reject = false;
        JsonNode sigstore = null;
        for (JsonNode requirement : requirements) {
            String type = requirement.path("type").asText("");
            switch (type) {
                case "insecureAcceptAnything" -> {
                    // accepts anything: the other requirements decide
                }
                case "reject" -> reject = true;
                case "sigstoreSigned" -> {
                    if (sigstore != null) {
                        throw error(name + ": requires two sigstore signatures at once, which lazysnap does not"
                                + " check; " + OWN_FORMAT);
                    }
                    sigstore = requirement;
                }
                case "signedBy" -> throw error(name + ": signedBy (GPG signatures) is not supported: lazysnap"
                        + " verifies sigstore (cosign) signatures; use sigstoreSigned");
                default -> throw error(name + ": unknown requirement type '" + type + "'");
            }
        }
        Signers none = new Signers(List.of(), List.of(), null, null, false);
        if (reject) {
            return new Rule(name, match, Mode.ENFORCE, none, SignedReference.SAME_REPOSITORY, null, true);
        }
        if (sigstore == null) {
            return new Rule(name, match, Mode.SKIP, none, SignedReference.SAME_REPOSITORY, null, false);
        }
        return new Rule(name, match, Mode.ENFORCE, new Signers(keys(name, sigstore), List.of(), null, null, false),
                signedIdentity(name, sigstore.path("signedIdentity")), null, false);
    }

    private List<TrustedKey> keys(String name, JsonNode requirement) throws PolicyException {
        for (Iterator<String> fields = requirement.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!SIGSTORE_KEYS.contains(field)) {
                throw error(name + ": unknown sigstoreSigned field '" + field + "'");
            }
        }
        for (String unsupported : List.of("fulcio", "rekorPublicKeyPath", "rekorPublicKeyData")) {
            if (requirement.has(unsupported)) {
                throw error(name + ": sigstoreSigned " + unsupported + " is not supported here; " + OWN_FORMAT
                        + " (keyless with trusted_root, rekor = true)");
            }
        }
        List<String> given = List.of("keyPath", "keyPaths", "keyData", "keyDatas").stream()
                .filter(requirement::has).toList();
        if (given.size() != 1) {
            throw error(name + ": sigstoreSigned needs exactly one of keyPath, keyPaths, keyData, keyDatas");
        }
        List<TrustedKey> keys = new ArrayList<>();
        String field = given.get(0);
        for (String value : strings(name, requirement.get(field), field, field.endsWith("s"))) {
            keys.add(field.startsWith("keyPath") ? keyFile(name, value) : keyData(name, field, value));
        }
        if (keys.isEmpty()) {
            throw error(name + ": " + field + " names no key");
        }
        return keys;
    }

    private List<String> strings(String name, JsonNode node, String field, boolean list) throws PolicyException {
        List<String> values = new ArrayList<>();
        if (list ? !node.isArray() : !node.isTextual()) {
            throw error(name + ": " + field + " must be " + (list ? "an array of strings" : "a string"));
        }
        for (JsonNode value : list ? node : List.of(node)) {
            if (!value.isTextual()) {
                throw error(name + ": " + field + " must hold strings");
            }
            values.add(value.asText());
        }
        return values;
    }

    private TrustedKey keyFile(String name, String file) throws PolicyException {
        Path path = Path.of(file);
        if (!path.isAbsolute() && baseDir != null) {
            path = baseDir.resolve(path).normalize();
        }
        try {
            String pem = Files.readString(path);
            sources.add(path.toString(), pem);
            return TrustedKey.of(path.toString(), pem);
        } catch (IOException e) {
            throw error(name + ": cannot read key " + path + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw error(name + ": " + e.getMessage());
        }
    }

    private TrustedKey keyData(String name, String field, String base64) throws PolicyException {
        try {
            return TrustedKey.of(name + " " + field,
                    new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw error(name + ": " + field + " is not a base64 PEM public key: " + e.getMessage());
        }
    }

    /** The names a signature may carry; lazysnap compares repositories, so identities bound to a tag are refused. */
    private SignedReference signedIdentity(String name, JsonNode identity) throws PolicyException {
        String type = identity.isMissingNode() ? "matchRepoDigestOrExact" : identity.path("type").asText("");
        if (type.equals("matchRepoDigestOrExact")) {
            LOG.warn("{}: {}: signatures are matched to the repository; the tag of an image pulled by tag is not"
                    + " compared with the signature's (matchRepoDigestOrExact would); the digest still binds", source,
                    name);
        }
        return switch (type) {
            case "matchRepoDigestOrExact", "matchRepository" -> SignedReference.SAME_REPOSITORY;
            case "exactRepository" -> {
                try {
                    yield SignedReference.exactly(identity.path("dockerRepository").asText(""));
                } catch (IllegalArgumentException e) {
                    throw error(name + ": exactRepository needs dockerRepository, a registry/repository name: "
                            + e.getMessage());
                }
            }
            case "matchExact", "exactReference", "remapIdentity" -> throw error(name + ": signedIdentity " + type
                    + " is not supported (lazysnap binds signatures to repositories, not tags); use matchRepository"
                    + " or exactRepository, or " + OWN_FORMAT);
            default -> throw error(name + ": unknown signedIdentity type '" + type + "'");
        };
    }

    private PolicyException error(String reason) {
        return new PolicyException(source, 0, reason, null);
    }
}
