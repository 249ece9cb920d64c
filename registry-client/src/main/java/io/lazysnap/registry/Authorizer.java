package io.lazysnap.registry;

import com.fasterxml.jackson.databind.JsonNode;
import okhttp3.Challenge;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides the {@code Authorization} header for a registry host. It remembers the challenge each host last sent,
 * so later requests carry a token up front instead of paying a 401 round trip, and caches bearer tokens per
 * host, realm, service and scope until shortly before they expire: a token got with one host's credentials is
 * never sent to another host that names the same realm. A mirror is only given credentials configured for the
 * mirror's own host, never those of the registry it mirrors. Tokens and passwords are never logged.
 */
final class Authorizer {

    private static final Logger log = LoggerFactory.getLogger(Authorizer.class);
    private static final long DEFAULT_TOKEN_SECONDS = 60;

    private final OkHttpClient tokenClient;
    private final List<CredentialStore> stores;
    private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final Map<String, Object> fetchLocks = new ConcurrentHashMap<>();

    private record Token(String value, long expiresAtNanos) {
        boolean fresh() {
            return System.nanoTime() < expiresAtNanos;
        }
    }

    Authorizer(OkHttpClient tokenClient, List<CredentialStore> stores) {
        this.tokenClient = tokenClient;
        this.stores = List.copyOf(stores);
    }

    /**
     * The header to send to {@code url} for {@code spec}, or null while the host has not asked for any.
     *
     * @param mirror the host is a mirror of {@code spec}'s namespace, not its registry
     */
    String header(HttpUrl url, RequestSpec spec, boolean mirror) throws IOException {
        String host = Urls.hostPort(url);
        Challenge challenge = challenges.get(host);
        if (challenge == null) {
            return null;
        }
        if (challenge.scheme().equalsIgnoreCase("basic")) {
            return credential(host, spec.namespace(), mirror).map(Credential::basicHeader).orElse(null);
        }
        return "Bearer " + token(host, spec, mirror, challenge);
    }

    /**
     * Learns from a 401. Returns true when another attempt may succeed: the host asked for a scheme we can
     * answer, and the header we sent (if any) is not one we would send again.
     */
    boolean learn(HttpUrl url, RequestSpec spec, boolean mirror, Response unauthorized, String sentHeader) {
        String host = Urls.hostPort(url);
        Optional<Challenge> usable = unauthorized.challenges().stream()
                .filter(c -> c.scheme().equalsIgnoreCase("bearer") && c.authParams().get("realm") != null
                        || c.scheme().equalsIgnoreCase("basic"))
                .findFirst();
        if (usable.isEmpty()) {
            return false;
        }
        Challenge c = usable.get();
        challenges.put(host, c);
        if (c.scheme().equalsIgnoreCase("basic")) {
            return sentHeader == null && credential(host, spec.namespace(), mirror).isPresent();
        }
        if (sentHeader != null) {
            // The token we sent was refused: revoked, expired early, or too narrow. Fetch a new one once.
            boolean evicted = tokens.values().removeIf(t -> sentHeader.equals("Bearer " + t.value()));
            return evicted;
        }
        return true;
    }

    /** The registry's own host may differ from its namespace (docker.io); a mirror is only itself. */
    private Optional<Credential> credential(String host, String namespace, boolean mirror) {
        for (CredentialStore store : stores) {
            Optional<Credential> c = store.find(host);
            if (c.isEmpty() && !mirror && !host.equals(namespace)) {
                c = store.find(namespace);
            }
            if (c.isPresent()) {
                return c;
            }
        }
        return Optional.empty();
    }

    private String token(String host, RequestSpec spec, boolean mirror, Challenge challenge) throws IOException {
        String realm = challenge.authParams().get("realm");
        String service = challenge.authParams().get("service");
        TreeSet<String> scopes = new TreeSet<>(spec.scopes());
        // Credentials differ per host (and mirror or not), so the token they bought must too.
        String key = host + "|" + (mirror ? "mirror" : spec.namespace()) + "|" + realm + "|" + service + "|"
                + String.join(" ", scopes);
        Token cached = tokens.get(key);
        if (cached != null && cached.fresh()) {
            return cached.value();
        }
        synchronized (fetchLocks.computeIfAbsent(key, k -> new Object())) {
            cached = tokens.get(key);
            if (cached != null && cached.fresh()) {
                return cached.value();
            }
            Token fresh = fetch(host, spec.namespace(), mirror, realm, service, scopes);
            tokens.put(key, fresh);
            return fresh.value();
        }
    }

    private Token fetch(String host, String namespace, boolean mirror, String realm, String service,
                        TreeSet<String> scopes) throws IOException {
        HttpUrl realmUrl = HttpUrl.parse(realm);
        if (realmUrl == null) {
            throw new RegistryException(host + " sent an authentication realm that is not a URL", 401);
        }
        Optional<Credential> credential = credential(host, namespace, mirror);
        Request request;
        if (credential.isPresent() && credential.get().isIdentityToken()) {
            FormBody.Builder form = new FormBody.Builder()
                    .add("grant_type", "refresh_token")
                    .add("refresh_token", credential.get().secret())
                    .add("client_id", "lazysnap")
                    .add("scope", String.join(" ", scopes));
            if (service != null) {
                form.add("service", service);
            }
            request = new Request.Builder().url(realmUrl).post(form.build()).build();
        } else {
            HttpUrl.Builder url = realmUrl.newBuilder();
            if (service != null) {
                url.addQueryParameter("service", service);
            }
            scopes.forEach(s -> url.addQueryParameter("scope", s));
            Request.Builder b = new Request.Builder().url(url.build());
            credential.ifPresent(c -> {
                url.addQueryParameter("account", c.username());
                b.url(url.build()).header("Authorization", c.basicHeader());
            });
            request = b.build();
        }
        String where = Urls.redacted(realmUrl);
        log.debug("Fetching a token from {} for {} ({})", where, scopes,
                credential.isPresent() ? "with credentials" : "anonymous");
        try (Response response = tokenClient.newCall(request).execute()) {
            if (!response.isSuccessful()) {
                throw new RegistryException("token request to " + where + " for " + scopes + " was refused: HTTP "
                        + response.code() + (credential.isPresent() ? " (credentials were sent)" : " (anonymous)"),
                        response.code() == 401 || response.code() == 403 ? 401 : response.code());
            }
            JsonNode body;
            try {
                body = Json.read(response.body().bytes(), "token response");
            } catch (IllegalArgumentException e) {
                throw new RegistryException("token response from " + where + " is not a JSON object", 0);
            }
            String token = body.path("token").asText(body.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new RegistryException("token response from " + where + " holds no token", 0);
            }
            long seconds = Math.max(body.path("expires_in").asLong(DEFAULT_TOKEN_SECONDS), DEFAULT_TOKEN_SECONDS);
            // Renew a little early so a token never expires between being picked and being checked.
            long lifetime = (long) (seconds * 0.9 * 1_000_000_000L);
            return new Token(token, System.nanoTime() + lifetime);
        }
    }
}
