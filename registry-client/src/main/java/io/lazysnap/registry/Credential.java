package io.lazysnap.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A username with a password, or an identity (refresh) token. The secret never leaves this object except as an
 * HTTP header value; {@link #toString()} shows the username only.
 */
final class Credential {

    private final String username;
    private final String secret;
    private final boolean identityToken;

    private Credential(String username, String secret, boolean identityToken) {
        this.username = username == null ? "" : username;
        this.secret = secret;
        this.identityToken = identityToken;
    }

    static Credential password(String username, String password) {
        return new Credential(username, password, false);
    }

    static Credential identityToken(String username, String token) {
        return new Credential(username, token, true);
    }

    String username() {
        return username;
    }

    /** True when the secret is an OAuth2 refresh token to trade at the token endpoint, not a password. */
    boolean isIdentityToken() {
        return identityToken;
    }

    String secret() {
        return secret;
    }

    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + secret)
                .getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credential[" + username + ", " + (identityToken ? "identity token" : "password") + " redacted]";
    }
}
