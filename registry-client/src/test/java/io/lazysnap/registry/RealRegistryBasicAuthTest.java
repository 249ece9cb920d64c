package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real registry in {@code auth: htpasswd} mode, over plain HTTP and over TLS with a CA made here. */
class RealRegistryBasicAuthTest {

    private static final String USER = "puller";
    private static final String PASSWORD = "s3cret-only-in-htpasswd";

    @TempDir
    Path dir;

    @Test
    void basicAuthOverPlainHttp() throws Exception {
        try (Registry registry = Registry.on(dir).yaml(htpasswdConfig()).start()) {
            Supplier<RegistryClient.Builder> base = () -> RegistryClient.builder().plainHttp(registry.host());
            pushPullAndRefuseWrongCredentials(registry, base, base.get().credentials(registry.host(), USER, PASSWORD));
        }
    }

    @Test
    void basicAuthOverTlsWithCredentialsFromDockerConfig() throws Exception {
        RegistryTls tls = RegistryTls.create(dir);
        try (Registry registry = Registry.on(dir).yaml(tls.httpConfig() + "\n" + htpasswdConfig()).start()) {
            Path certsD = tls.trustIn(dir.resolve("certs.d"), registry.host());
            String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            Path config = Files.writeString(dir.resolve("config.json"),
                    "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth + "\"}}}");
            pushPullAndRefuseWrongCredentials(registry, () -> RegistryClient.builder().hostsDir(certsD),
                    RegistryClient.builder().hostsDir(certsD).dockerConfig(config));
        }
    }

    /** Pushes and pulls with {@code authenticated}; {@code base} without or with wrong credentials is refused. */
    private static void pushPullAndRefuseWrongCredentials(Registry registry, Supplier<RegistryClient.Builder> base,
                                                          RegistryClient.Builder authenticated) throws Exception {
        Reference ref = Reference.parse(registry.host() + "/private/app:v1");
        byte[] layer = "a layer behind basic auth".getBytes(StandardCharsets.UTF_8);
        try (RegistryClient client = authenticated.build()) {
            Descriptor l = client.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, layer);
            Descriptor c = client.pushBlob(ref, MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
            client.pushManifest(ref, MediaTypes.OCI_MANIFEST, Manifest.build(c, List.of(l), Map.of()).bytes());
            ResolvedImage image = client.resolve(ref.toString());
            assertArrayEquals(Arrays.copyOfRange(layer, 2, 9),
                    client.blobSource(ref, image.manifest().layers().get(0)).read(2, 7));
        }
        try (RegistryClient none = base.get().build();
             RegistryClient wrong = base.get().credentials(registry.host(), USER, "not-" + PASSWORD)
                     .build()) {
            assertEquals(401, assertThrows(RegistryException.class, () -> none.manifest(ref)).status());
            RegistryException refused = assertThrows(RegistryException.class, () -> wrong.manifest(ref));
            assertEquals(401, refused.status());
            assertTrue(refused.getMessage().contains(registry.host()), refused.getMessage());
            assertFalse(refused.getMessage().contains(PASSWORD), refused.getMessage());
        }
    }

    /** The registry's {@code auth:} section with an htpasswd file of one bcrypt entry, the only hash it accepts. */
    private String htpasswdConfig() throws Exception {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        // Cost 5 keeps the per-request bcrypt check cheap on a busy test machine; strength is not the point.
        String hash = OpenBSDBCrypt.generate("2y", PASSWORD.toCharArray(), salt, 5);
        Path htpasswd = Files.writeString(dir.resolve("htpasswd"), USER + ":" + hash + "\n");
        return String.join("\n",
                "auth:",
                "  htpasswd:",
                "    realm: lazysnap-test",
                "    path: " + htpasswd);
    }
}
