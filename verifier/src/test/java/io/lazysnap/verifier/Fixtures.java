package io.lazysnap.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** The real cosign outputs in {@code ../shared/fixtures/cosign} (see its README). */
final class Fixtures {

    static final Path COSIGN = root().resolve("../shared/fixtures/cosign").normalize();
    static final Path CONTAINERS_IMAGE = COSIGN.resolve("containers-image");
    static final Path TRUSTED_ROOT = COSIGN.resolve("sigstore-java/trusted_root.json");
    private static final byte[] DIR_PREFIX = "\0sigstore-json\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    // Surefire runs in the module directory; the repository root is the first parent beside ../shared/fixtures.
    private static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("../shared/fixtures"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no ../shared/fixtures above " + Path.of("").toAbsolutePath());
    }

    static Path file(String name) {
        return CONTAINERS_IMAGE.resolve(name);
    }

    /** containers/image's {@code dir:} serialisation of one signature: {@code \0sigstore-json\n} + JSON. */
    static ClassicSignature signature(String dir, int n) {
        String name = dir + "/signature-" + n;
        try {
            byte[] bytes = Files.readAllBytes(file(name));
            if (!Arrays.equals(Arrays.copyOf(bytes, DIR_PREFIX.length), DIR_PREFIX)) {
                throw new IllegalStateException(name + " is not a sigstore-json signature");
            }
            JsonNode root = JSON.readTree(Arrays.copyOfRange(bytes, DIR_PREFIX.length, bytes.length));
            Map<String, String> annotations = new LinkedHashMap<>();
            root.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
            return new ClassicSignature(name, Base64.getDecoder().decode(root.path("payload").asText()), annotations);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String mimeType(String dir, int n) throws IOException {
        byte[] bytes = Files.readAllBytes(file(dir + "/signature-" + n));
        return JSON.readTree(Arrays.copyOfRange(bytes, DIR_PREFIX.length, bytes.length)).path("mimeType").asText();
    }

    /** The digest of the fixture's {@code manifest.json}: what its signatures should name. */
    static String manifestDigest(String dir) {
        try {
            return sha256(Files.readAllBytes(file(dir + "/manifest.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A policy from TOML text; fixture files are named by absolute path. */
    static Policy policy(String toml) {
        try {
            return Policy.parse(toml, COSIGN, "test policy");
        } catch (PolicyException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The quoted absolute path of a containers-image fixture, for TOML. */
    static String q(String name) {
        return "\"" + file(name) + "\"";
    }
}
