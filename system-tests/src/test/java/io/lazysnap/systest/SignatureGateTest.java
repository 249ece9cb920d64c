package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.CriClient;
import io.grpc.StatusRuntimeException;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.root.Root;
import io.lazysnap.verifier.CosignSigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cosign gate through the real stack: with an enforcing policy, an image signed by the trusted key runs
 * (lazily); unsigned images, images signed by another key and pulls that name no image are refused, and a refusal
 * leaves no FUSE mount and no snapshot behind, whether the layer would have been served lazily or downloaded.
 */
class SignatureGateTest {

    private static Stack stack;
    private static KeyPair trusted;
    private static String signedEsgz;
    private static String unsignedEsgz;
    private static String otherKeyEsgz;
    private static String unsignedPlain;
    private static String unsignedSibling;

    @BeforeAll
    static void setUp() throws Exception {
        trusted = ecKeyPair();
        stack = Stack.start((dir, registry) -> {
            Path pub = dir.resolve("cosign.pub");
            Files.writeString(pub, pem("PUBLIC KEY", trusted.getPublic().getEncoded()));
            Files.writeString(dir.resolve("cosign.key"), pem("PRIVATE KEY", trusted.getPrivate().getEncoded()));
            Path policy = Files.writeString(dir.resolve("policy.toml"), """
                    [default]
                    mode = "enforce"
                    keys = ["%s"]
                    """.formatted(pub));
            return "policy = \"" + policy + "\"";
        });
        Path src = Files.createDirectories(stack.dir.resolve("gate-src"));
        TestImage.busyboxRootfs(src.resolve("base"));
        // Distinct content per image: containerd skips a Prepare for a layer its namespace already holds.
        signedEsgz = stack.ctrRemoteConvert(push(src, "signed", "signed and lazy\n"),
                stack.registry + "/systest/signed:esgz");
        unsignedEsgz = stack.ctrRemoteConvert(push(src, "unsigned", "unsigned\n"),
                stack.registry + "/systest/unsigned:esgz");
        otherKeyEsgz = stack.ctrRemoteConvert(push(src, "otherkey", "signed by a stranger\n"),
                stack.registry + "/systest/otherkey:esgz");
        unsignedPlain = push(src, "unsigned-plain", "plain and unsigned\n");
        unsignedSibling = stack.ctrRemoteConvert(push(src, "signed-sibling", "same repository, never signed\n"),
                stack.registry + "/systest/signed:sibling");
        new TestImage(Files.createDirectories(stack.dir.resolve("pause-build")))
                .layer(TestImage.busyboxRootfs(src.resolve("pause")))
                .push(stack.registry, "systest/pause", "1", List.of("sleep", "3600"));

        lazysnap("sign", "--key", stack.dir.resolve("cosign.key").toString(), signedEsgz);
        lazysnap("sign", "--key", stack.dir.resolve("cosign.key").toString(), stack.registry + "/systest/pause:1");
        try (RegistryClient registry = RegistryClient.builder().plainHttp(stack.registry).build()) {
            Reference other = Reference.parse(otherKeyEsgz);
            new CosignSigner(ecKeyPair().getPrivate()).sign(registry, other, manifest(registry, other).descriptor().digest());
        }
    }

    /** Pushes a plain two-layer image whose second layer holds {@code message} in /srv/msg. */
    private static String push(Path src, String name, String message) throws Exception {
        Path data = Files.createDirectories(src.resolve(name + "/srv"));
        Files.writeString(data.resolve("msg"), message);
        return new TestImage(Files.createDirectories(stack.dir.resolve(name + "-build")))
                .layer(src.resolve("base")).layer(src.resolve(name))
                .push(stack.registry, "systest/" + name, "plain", List.of("cat", "/srv/msg"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aSignedImageRunsLazily() throws Exception {
        stack.ctrRemoteRpull(signedEsgz);
        assertEquals("signed and lazy\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", signedEsgz, "signed"),
                stack.logs());
        assertTrue(fuseMounts() >= 2, "the signed image's layers are FUSE mounts");
    }

    @Test
    void verifyReportsWhatTheGateWouldDecide() throws Exception {
        String pub = stack.dir.resolve("cosign.pub").toString();
        assertTrue(lazysnap("verify", "--key", pub, signedEsgz).contains("verified"));
        IOException refused = assertThrows(IOException.class, () -> lazysnap("verify", "--key", pub, unsignedEsgz));
        assertTrue(refused.getMessage().contains("refused"), refused.getMessage());
    }

    @Test
    void aLayerFromOutsideTheVerifiedManifestIsRefused() throws Exception {
        try (RegistryClient registry = RegistryClient.builder().plainHttp(stack.registry).build();
             SnapshotsClient lazysnap = new SnapshotsClient(stack.lazysnap.socket)) {
            Manifest signed = manifest(registry, Reference.parse(signedEsgz));
            Manifest foreign = manifest(registry, Reference.parse(unsignedEsgz));
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> lazysnap.prepare(
                    "extract-1 sha256:foreign", Map.of(
                            "containerd.io/snapshot.ref", "sha256:foreign",
                            "containerd.io/snapshot/cri.image-ref", signedEsgz,
                            "containerd.io/snapshot/cri.manifest-digest", signed.descriptor().digest(),
                            "containerd.io/snapshot/cri.layer-digest", foreign.layers().get(1).digest())));
            assertTrue(e.getMessage().contains("not part of manifest"), e.getMessage());
        }
    }

    @Test
    void aTagMovedToAnUnsignedImageIsCheckedAgain() throws Exception {
        try (RegistryClient registry = RegistryClient.builder().plainHttp(stack.registry).build();
             SnapshotsClient lazysnap = new SnapshotsClient(stack.lazysnap.socket)) {
            Reference moving = Reference.parse(stack.registry + "/systest/signed:moving");
            Manifest signed = manifest(registry, Reference.parse(signedEsgz));
            registry.pushManifest(moving, signed.descriptor().mediaType(), signed.bytes());
            Map<String, String> labels = Map.of(
                    "containerd.io/snapshot.ref", "sha256:moving",
                    "containerd.io/snapshot/remote/stargz.reference", moving.toString(),
                    "containerd.io/snapshot/remote/stargz.digest", signed.layers().get(1).digest());
            Manifest sibling = manifest(registry, Reference.parse(unsignedSibling));
            registry.pushManifest(moving, sibling.descriptor().mediaType(), sibling.bytes());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> lazysnap.prepare("extract-2 sha256:moving", labels));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
        }
    }

    @Test
    void unsignedImagesAreRefusedAndLeaveNothingBehind() throws Exception {
        assertRefused(() -> stack.ctrRemoteRpull(unsignedEsgz), "no signature");
        assertRefused(() -> LazysnapCli.rpull(stack, unsignedEsgz), "refused");
        assertRefused(() -> stack.ctrRemoteRpull(otherKeyEsgz), "refused");
    }

    @Test
    void anUnsignedPlainImageIsNotDownloadedByRpull() throws Exception {
        stack.registryTraffic.reset();
        assertRefused(() -> LazysnapCli.rpull(stack, unsignedPlain), "refused");
        try (var left = Files.list(new Root(stack.lazysnap.root).unpack())) {
            assertEquals(List.of(), left.toList(), "nothing was unpacked ahead for the refused image");
        }
        long served = stack.registryTraffic.served();
        assertTrue(served < 64 << 10, "only manifests, config and signature lookups left the registry: " + served);
    }

    @Test
    void aSignatureCopiedFromAnotherImageIsRefused() throws Exception {
        String copied = stack.registry + "/systest/signed:copied-signature";
        try (RegistryClient registry = RegistryClient.builder().plainHttp(stack.registry).build()) {
            Manifest signed = manifest(registry, Reference.parse(signedEsgz));
            Manifest target = manifest(registry, Reference.parse(unsignedSibling));
            registry.pushManifest(Reference.parse(copied), target.descriptor().mediaType(), target.bytes());
            Reference signatures = Reference.parse(stack.registry + "/systest/signed");
            Manifest signature = registry.manifest(signatures.withTag(sigTag(signed)));
            registry.pushManifest(signatures.withTag(sigTag(target)), signature.descriptor().mediaType(),
                    signature.bytes());
        }
        assertRefused(() -> stack.ctrRemoteRpull(copied), "refused");
    }

    private static String sigTag(Manifest m) {
        return m.descriptor().digest().replace(':', '-') + ".sig";
    }

    @Test
    void aPullThatNamesNoImageIsRefusedUnderAnEnforcingDefault() throws Exception {
        assertRefused(() -> stack.ctr("image", "pull", "--plain-http", "--snapshotter", "lazysnap", unsignedPlain),
                "rpull");
    }

    @Test
    void theCriFlowIsGatedOnTheFallbackPathToo() throws Exception {
        long mounts = fuseMounts();
        Set<String> snapshots = snapshotDirs();
        try (CriClient cri = new CriClient(stack.containerdSocket())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cri.pull(unsignedPlain));
            assertTrue(e.getMessage().contains("unsigned-plain"), e.getMessage());
            StatusRuntimeException lazy = assertThrows(StatusRuntimeException.class, () -> cri.pull(otherKeyEsgz));
            assertTrue(lazy.getMessage().contains("otherkey"), lazy.getMessage());
            assertEquals(mounts, fuseMounts());
            assertNoNewSnapshot(snapshots);

            String output = cri.runPod(signedEsgz, stack.dir.resolve("pods/signed"), List.of("cat", "/srv/msg"));
            assertEquals("signed and lazy\n", output, stack.logs());
        }
    }

    /** The call fails naming the reason, and no mount or snapshot appeared meanwhile. */
    private static void assertRefused(Stack.Call call, String reason) throws Exception {
        long mounts = fuseMounts();
        Set<String> snapshots = snapshotDirs();
        IOException e = assertThrows(IOException.class, call::run);
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertEquals(mounts, fuseMounts(), "no FUSE mount for a refused image");
        assertNoNewSnapshot(snapshots);
    }

    /** Snapshot directories only ever get new ids, so any new one would have been made for the refused image. */
    private static void assertNoNewSnapshot(Set<String> before) throws IOException {
        Set<String> created = new TreeSet<>(snapshotDirs());
        created.removeAll(before);
        assertEquals(Set.of(), created, "no snapshot was handed out to download a refused layer into");
    }

    private static long fuseMounts() throws IOException {
        return Processes.mountsUnder(stack.lazysnap.root).size();
    }

    private static Set<String> snapshotDirs() throws IOException {
        try (var entries = Files.list(new Root(stack.lazysnap.root).snapshots())) {
            return entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static Manifest manifest(RegistryClient registry, Reference image) throws IOException {
        return registry.resolve(image, Platform.LINUX_AMD64).manifest();
    }

    /** Runs {@code bin/lazysnap} against the stack's registry; fails with its output on a non-zero exit. */
    private static String lazysnap(String command, String... args) throws Exception {
        List<String> line = new java.util.ArrayList<>(List.of("bin/lazysnap", command, "--plain-http"));
        line.addAll(List.of(args));
        return Processes.run(java.time.Duration.ofMinutes(2), line);
    }

    private static KeyPair ecKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
