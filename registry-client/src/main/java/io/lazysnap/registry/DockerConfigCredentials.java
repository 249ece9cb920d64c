package io.lazysnap.registry;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Credentials from a docker {@code config.json}: {@code credHelpers} per host, then {@code credsStore}, then
 * {@code auths} ({@code auth} or {@code username}/{@code password}, and {@code identitytoken}). Helpers are
 * {@code docker-credential-<name>} programs speaking the docker credential helper protocol on stdin/stdout.
 * The file is read on each lookup so that a refreshed login is picked up without a restart.
 */
final class DockerConfigCredentials implements CredentialStore {

    private static final Logger log = LoggerFactory.getLogger(DockerConfigCredentials.class);
    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(20);
    private static final String HUB_KEY = "https://index.docker.io/v1/";

    private final Path file;

    DockerConfigCredentials(Path file) {
        this.file = file;
    }

    @Override
    public Optional<Credential> find(String host) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = Json.read(Files.readAllBytes(file), "docker config " + file);
        } catch (IOException e) {
            log.warn("Ignoring unreadable docker config {}: {}", file, e.getMessage());
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            // Not the parser's message: it may quote the file's contents, secrets included.
            log.warn("Ignoring docker config {}: it is not a JSON object", file);
            return Optional.empty();
        }
        boolean hub = host.equals(Reference.DOCKER_HUB) || host.equals("registry-1.docker.io")
                || host.equals("index.docker.io");
        String helper = root.path("credHelpers").path(hub ? "docker.io" : host).asText(null);
        if (helper == null && hub) {
            helper = root.path("credHelpers").path("index.docker.io").asText(null);
        }
        if (helper != null) {
            return fromHelper(helper, hub ? HUB_KEY : host);
        }
        Optional<Credential> inFile = fromAuths(root.path("auths"), host, hub);
        if (inFile.isPresent()) {
            return inFile;
        }
        String store = root.path("credsStore").asText(null);
        return store == null ? Optional.empty() : fromHelper(store, hub ? HUB_KEY : host);
    }

    private static Optional<Credential> fromAuths(JsonNode auths, String host, boolean hub) {
        List<String> keys = hub
                ? List.of(HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io", "https://index.docker.io")
                : List.of(host, "https://" + host, "http://" + host, "https://" + host + "/v1/",
                        "https://" + host + "/v2/");
        for (String key : keys) {
            JsonNode entry = auths.get(key);
            if (entry == null) {
                continue;
            }
            String user = entry.path("username").asText("");
            String password = entry.path("password").asText("");
            String auth = entry.path("auth").asText("");
            if (!auth.isEmpty()) {
                String decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("docker config: 'auth' for " + host
                            + " is not base64(user:password)");
                }
                user = decoded.substring(0, colon);
                password = decoded.substring(colon + 1);
            }
            String identity = entry.path("identitytoken").asText("");
            if (!identity.isEmpty()) {
                return Optional.of(Credential.identityToken(user, identity));
            }
            if (!user.isEmpty() || !password.isEmpty()) {
                return Optional.of(Credential.password(user, password));
            }
        }
        return Optional.empty();
    }

    private static Optional<Credential> fromHelper(String helper, String serverUrl) {
        String program = "docker-credential-" + helper;
        try {
            Process p = new ProcessBuilder(program, "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(HELPER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                log.warn("{} did not answer for {} within {}", program, serverUrl, HELPER_TIMEOUT);
                return Optional.empty();
            }
            if (p.exitValue() != 0) {
                // Helpers exit non-zero when they simply have nothing for this server.
                log.debug("{} has no credentials for {}", program, serverUrl);
                return Optional.empty();
            }
            JsonNode answer = Json.read(out, program + " output");
            String user = answer.path("Username").asText("");
            String secret = answer.path("Secret").asText("");
            // The protocol's marker for "Secret is an identity token".
            return Optional.of(user.equals("<token>")
                    ? Credential.identityToken("", secret)
                    : Credential.password(user, secret));
        } catch (IOException e) {
            log.warn("Cannot run credential helper {}: {}", program, e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            log.warn("Credential helper {} answered something that is not JSON", program);
            return Optional.empty();
        }
    }
}
