package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;

import static io.lazysnap.verifier.Fixtures.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PolicyTest {

    private static PolicyException invalid(String toml) {
        return assertThrows(PolicyException.class, () -> Policy.parse(toml, null, "policy.toml"));
    }

    @Test
    void firstMatchingRuleDecidesAndTheDefaultTakesTheRest() {
        Policy policy = Fixtures.policy("""
                [[rule]]
                match = ["registry.example.com/team/*"]
                mode = "skip"

                [[rule]]
                match = ["registry.example.com/**"]
                mode = "warn"
                keys = [%s]

                [default]
                mode = "enforce"
                keys = [%s]
                """.formatted(q("cosign.pub"), q("cosign2.pub")));
        assertEquals(Mode.SKIP, policy.modeFor(Reference.parse("registry.example.com/team/app:1")));
        assertEquals(Mode.WARN, policy.modeFor(Reference.parse("registry.example.com/team/app/sub")));
        assertEquals(Mode.WARN, policy.modeFor(Reference.parse("registry.example.com/other")));
        assertEquals(Mode.ENFORCE, policy.modeFor(Reference.parse("alpine")));
        assertEquals(Mode.ENFORCE, policy.defaultMode());
        assertEquals("rule 2 [registry.example.com/**]",
                policy.ruleFor(Reference.parse("registry.example.com/x")).toString());
    }

    @Test
    void anEnforceRuleCannotBeEscapedByWritingTheRegistryHostDifferently() {
        Policy policy = Fixtures.policy("""
                [[rule]]
                match = ["Registry.Corp/**"]
                mode = "enforce"
                keys = [%s]

                [default]
                mode = "skip"
                """.formatted(q("cosign.pub")));
        for (String ref : new String[] {"registry.corp/x", "REGISTRY.CORP/x", "registry.corp:443/x:1",
                "Registry.Corp:443/team/x"}) {
            assertEquals(Mode.ENFORCE, policy.modeFor(Reference.parse(ref)), ref);
        }
        assertEquals(Mode.SKIP, policy.modeFor(Reference.parse("registry.corp:5000/x")), "another port, another registry");
        Policy hub = Fixtures.policy("[[rule]]\nmatch = [\"docker.io/library/*\"]\nmode = \"skip\"\n");
        assertEquals(Mode.SKIP, hub.modeFor(Reference.parse("INDEX.DOCKER.IO/library/alpine")));
        assertEquals(Mode.SKIP, hub.modeFor(Reference.parse("registry-1.docker.io:443/library/alpine")));
    }

    @Test
    void shortNamesAreMatchedNormalised() {
        Policy policy = Fixtures.policy("[[rule]]\nmatch = [\"docker.io/library/*\"]\nmode = \"skip\"\n");
        assertEquals(Mode.SKIP, policy.modeFor(Reference.parse("alpine:3")));
        assertEquals(Mode.ENFORCE, policy.modeFor(Reference.parse("docker.io/someone/alpine")));
    }

    @Test
    void withoutADefaultTableEverythingElseIsEnforcedWithNoSigner() {
        Policy policy = Fixtures.policy("[[rule]]\nmatch = [\"a.example/**\"]\nmode = \"skip\"\n");
        assertEquals(Mode.ENFORCE, policy.defaultMode());
        Signers signers = policy.ruleFor(Reference.parse("b.example/x")).signers();
        assertEquals(true, signers.keys().isEmpty() && signers.identities().isEmpty());
    }

    @Test
    void errorsNameTheLine() {
        PolicyException e = invalid("""
                [[rule]]
                match = ["a.example/**"]
                mode = "skip"

                [[rule]]
                match = ["b.example/**"]
                mode = "enforcing"
                """);
        assertEquals("policy.toml:7: rule 2: mode 'enforcing' is not one of enforce, warn, skip", e.getMessage());
        assertEquals(7, e.line());
        assertEquals("policy.toml", e.source());

        e = invalid("[default]\nmode = \"warn\"\nkey = [\"x.pub\"]\n");
        assertEquals("policy.toml:3: unknown key 'key' in default; expected one of ca, keyless, keys, match, mode,"
                + " rekor, signature_repository, signed_reference, trusted_root", e.getMessage());

        e = invalid("[default]\nmode = \"warn\"\nkeys = x.pub\n\n");
        assertEquals(3, e.line(), e.getMessage());
        assertEquals(true, e.getMessage().startsWith("policy.toml:3: not valid TOML: "), e.getMessage());

        e = invalid("[[rule]]\nmode = \"skip\"\n");
        assertEquals("policy.toml:1: rule 1 needs match = [\"registry/repository/**\", …]", e.getMessage());

        e = invalid("[default]\nmatch = [\"x/**\"]\n");
        assertEquals(2, e.line());
    }

    @Test
    void keylessIdentitiesAreChecked() {
        String root = "trusted_root = \"" + Fixtures.TRUSTED_ROOT + "\"\n";
        PolicyException e = invalid("[default]\n" + root + "\n[[default.keyless]]\nsubject = \"me@example.com\"\n");
        assertEquals(4, e.line());
        assertEquals(true, e.getMessage().contains("needs issuer or issuer_regex"), e.getMessage());

        e = invalid("[default]\n[[default.keyless]]\nissuer = \"i\"\nsubject = \"s\"\n");
        assertEquals(true, e.getMessage().contains("need a trusted_root (Fulcio) or a ca"), e.getMessage());

        e = invalid("[default]\n" + root + "[[default.keyless]]\nissuer = \"i\"\nsubject_regex = \"(\"\n");
        assertEquals(5, e.line());
        assertEquals(true, e.getMessage().contains("subject_regex is not a valid regex"), e.getMessage());

        e = invalid("[default]\nrekor = true\n");
        assertEquals("policy.toml:2: default rule: rekor = true needs a trusted_root holding the Rekor key",
                e.getMessage());
    }

    @Test
    void keysAreLoadedAndWeakOnesRefused(@TempDir Path dir) throws Exception {
        PolicyException e = invalid("[default]\nkeys = [\"" + dir.resolve("missing.pub") + "\"]\n");
        assertEquals(2, e.line());
        assertEquals(true, e.getMessage().contains("cannot read key"), e.getMessage());

        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        Path weak = dir.resolve("weak.pub");
        Files.writeString(weak, Pem.publicKeyPem(rsa.generateKeyPair().getPublic()));
        e = invalid("[default]\nkeys = [\"" + weak + "\"]\n");
        assertEquals(true, e.getMessage().endsWith("RSA keys must have at least 2048 bits, not 1024"), e.getMessage());

        Path ed = dir.resolve("ed.pub");
        Files.writeString(ed, Pem.publicKeyPem(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic()));
        Path policy = dir.resolve("policy.toml");
        Files.writeString(policy, "[default]\nkeys = [\"ed.pub\", " + q("some-rsa-key.pub") + "]\n");
        assertEquals(2, Policy.load(policy).ruleFor(Reference.parse("x.example/y")).signers().keys().size());
    }

    @Test
    void theFingerprintChangesWithTheTextAndWithEveryFileThePolicyRead(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("signer.pub");
        Files.writeString(key, Pem.publicKeyPem(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic()));
        Path policy = Files.writeString(dir.resolve("policy.toml"), "[default]\nkeys = [\"signer.pub\"]\n");
        String first = Policy.load(policy).fingerprint();
        assertEquals(first, Policy.load(policy).fingerprint(), "the same sources, the same fingerprint");

        Files.writeString(key, Pem.publicKeyPem(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic()));
        String rotated = Policy.load(policy).fingerprint();
        assertNotEquals(first, rotated, "another key under the same name is another policy");

        Files.writeString(policy, "[default]\nmode = \"warn\"\nkeys = [\"signer.pub\"]\n");
        assertNotEquals(rotated, Policy.load(policy).fingerprint(), "another text is another policy");
    }

    @Test
    void unreadableFileIsReported(@TempDir Path dir) {
        PolicyException e = assertThrows(PolicyException.class, () -> Policy.load(dir.resolve("none.toml")));
        assertEquals(0, e.line());
        assertEquals(true, e.getMessage().startsWith(dir.resolve("none.toml") + ": cannot read the policy"));
    }

    @Test
    void readmeExampleParses() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String toml = readme.substring(readme.indexOf("```toml\n") + 8, readme.indexOf("```", readme.indexOf("```toml\n") + 8))
                .replace("keys/platform.pub", Fixtures.file("cosign.pub").toString())
                .replace("keys/upstream.pub", Fixtures.file("cosign2.pub").toString())
                .replace("/etc/lazysnap/trusted_root.json", Fixtures.TRUSTED_ROOT.toString())
                .replace("pki/root.pem", Fixtures.file("pki_root_crts.pem").toString())
                .replace("pki/intermediates.pem", Fixtures.file("pki_intermediate_crts.pem").toString());
        Policy policy = Policy.parse(toml, null, "README.md");
        assertEquals(Mode.SKIP, policy.modeFor(Reference.parse("localhost:5000/x")));
        assertEquals("rule 2 [ghcr.io/example/*]", policy.ruleFor(Reference.parse("ghcr.io/example/app")).toString());
        assertEquals(Mode.ENFORCE, policy.defaultMode());
    }

    @Test
    void requireKeyEnforcesOneKeyForEverything() throws PolicyException {
        Policy policy = Policy.requireKey(Fixtures.file("cosign.pub"));
        assertEquals(Mode.ENFORCE, policy.modeFor(Reference.parse("anything.example/at/all")));
        assertEquals("any", policy.ruleFor(Reference.parse("x.example/y")).signedReference().toString());
    }
}
