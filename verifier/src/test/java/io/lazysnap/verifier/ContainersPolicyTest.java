package io.lazysnap.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.registry.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** containers-policy.json read as lazysnap rules: scopes, requirements, and what is refused rather than weakened. */
class ContainersPolicyTest {

    @TempDir
    Path dir;

    private Policy load(String json) throws Exception {
        Path file = dir.resolve("policy.json");
        Files.writeString(file, json);
        return Policy.load(file);
    }

    private PolicyException invalid(String json) {
        return assertThrows(PolicyException.class, () -> load(json));
    }

    private Rule rule(Policy policy, String image) {
        return policy.ruleFor(Reference.parse(image));
    }

    @Test
    void theMostSpecificScopeDecidesAndTheDockerDefaultBeatsTheGlobalOne() throws Exception {
        TestKeys team = TestKeys.ecdsa(dir, "team");
        TestKeys corp = TestKeys.ecdsa(dir, "corp");
        Policy policy = load("""
                {
                  "default": [{"type": "insecureAcceptAnything"}],
                  "transports": {
                    "docker": {
                      "": [{"type": "reject"}],
                      "registry.corp": [{"type": "sigstoreSigned", "keyPath": "corp.pub"}],
                      "registry.corp/team": [{"type": "sigstoreSigned", "keyPath": "%s",
                                              "signedIdentity": {"type": "matchRepository"}}],
                      "registry.corp/team/legacy": [{"type": "insecureAcceptAnything"}],
                      "*.mirror.example": [{"type": "sigstoreSigned", "keyPaths": ["corp.pub", "team.pub"]}]
                    },
                    "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
                  }
                }
                """.formatted(team.publicPem()));
        assertEquals(Mode.SKIP, policy.modeFor(Reference.parse("registry.corp/team/legacy/app:1")));
        Rule teamRule = rule(policy, "registry.corp/team/app:1");
        assertEquals(Mode.ENFORCE, teamRule.mode());
        assertEquals(List.of(team.publicPem().toString()),
                teamRule.signers().keys().stream().map(TrustedKey::name).toList());
        assertEquals(SignedReference.SAME_REPOSITORY, teamRule.signedReference());
        assertEquals(List.of(dir.resolve("corp.pub").toString()), rule(policy, "REGISTRY.CORP:443/other/app")
                .signers().keys().stream().map(TrustedKey::name).toList(), "host spelt otherwise, same scope");
        assertEquals(2, rule(policy, "eu.mirror.example/x/y").signers().keys().size());
        assertEquals(2, rule(policy, "eu.mirror.example:5000/x/y").signers().keys().size(), "on any port");
        Rule refused = rule(policy, "docker.io/library/alpine");
        assertEquals(Mode.ENFORCE, refused.mode(), "the docker transport's own default, not the global one");
        assertTrue(refused.signers().keys().isEmpty(), "reject: nobody can sign");
        assertEquals(Mode.ENFORCE, rule(policy, "registry.corporate/x").mode(), "a scope is not a string prefix");
        assertEquals(Mode.ENFORCE, rule(policy, "mirror.example/x").mode(), "*.domain is subdomains only");
    }

    @Test
    void withoutADockerDefaultTheGlobalDefaultApplies() throws Exception {
        TestKeys key = TestKeys.ecdsa(dir, "k");
        String pem = Base64.getEncoder().encodeToString(Files.readString(key.publicPem())
                .getBytes(StandardCharsets.US_ASCII));
        Policy policy = load("""
                {"default": [{"type": "sigstoreSigned", "keyData": "%s",
                              "signedIdentity": {"type": "exactRepository", "dockerRepository": "origin.example/app"}},
                             {"type": "insecureAcceptAnything"}]}
                """.formatted(pem));
        Rule r = rule(policy, "copy.example/app");
        assertEquals(Mode.ENFORCE, r.mode());
        assertEquals(1, r.signers().keys().size());
        assertEquals("origin.example/app", r.signedReference().toString());
        assertEquals(Mode.ENFORCE, policy.defaultMode());
    }

    @Test
    void requirementsLazysnapCannotCheckAsWrittenStopTheDaemonWithTheReason() throws Exception {
        TestKeys.ecdsa(dir, "k");
        String key = "\"keyPath\": \"k.pub\"";
        List<List<String>> cases = List.of(
                List.of("[{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"k.gpg\"}]", "GPG"),
                List.of("[{\"type\": \"sigstoreSigned\", " + key + ", \"fulcio\": {}}]", "fulcio"),
                List.of("[{\"type\": \"sigstoreSigned\", " + key + ", \"rekorPublicKeyPath\": \"r.pub\"}]",
                        "rekorPublicKeyPath"),
                List.of("[{\"type\": \"sigstoreSigned\", " + key + "}, {\"type\": \"sigstoreSigned\", " + key + "}]",
                        "two sigstore signatures"),
                List.of("[{\"type\": \"sigstoreSigned\", " + key + ", \"signedIdentity\": {\"type\": \"matchExact\"}}]",
                        "matchExact"),
                List.of("[{\"type\": \"sigstoreSigned\"}]", "exactly one of keyPath"),
                List.of("[{\"type\": \"sigstoreSigned\", \"keyPath\": \"missing.pub\"}]", "cannot read key"),
                List.of("[{\"type\": \"sigstoreSigned\", " + key + ", \"keypath\": \"typo\"}]", "unknown"),
                List.of("[{\"type\": \"acceptEverything\"}]", "unknown requirement type"),
                List.of("[]", "non-empty"));
        for (List<String> c : cases) {
            PolicyException e = invalid("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": "
                    + "{\"registry.corp\": " + c.get(0) + "}}}");
            assertTrue(e.getMessage().contains(c.get(1)), c + " -> " + e.getMessage());
            assertTrue(e.getMessage().startsWith(dir.resolve("policy.json").toString()), e.getMessage());
        }
        assertTrue(invalid("{\"transports\": {}}").getMessage().contains("default is missing"));
        assertTrue(invalid("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": "
                + "{\"registry.corp/app:v1\": [{\"type\": \"reject\"}]}}}").getMessage().contains("tag or digest"));
        assertTrue(invalid("{\"default\": [{\"type\": \"reject\"}],}").getMessage().contains("not valid JSON"));
        assertTrue(invalid("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": "
                + "{\"docker.io/*\": [{\"type\": \"insecureAcceptAnything\"}]}}}").getMessage()
                .contains("only a leading *."));
    }
}
