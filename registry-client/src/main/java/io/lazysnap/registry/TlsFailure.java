package io.lazysnap.registry;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

/**
 * What a failed TLS connection says about the host, and what an operator can do about it. The JDK reports
 * these only through exception types and messages, so this is where that knowledge lives.
 */
enum TlsFailure {
    /** The peer answered the handshake with something else: it speaks plain HTTP. */
    NOT_TLS,
    /** The certificate does not chain to a trusted CA. */
    UNTRUSTED,
    /** The certificate is trusted but does not name the host. */
    WRONG_NAME,
    /** Not TLS, or nothing an operator's configuration changes. */
    OTHER;

    static TlsFailure of(IOException e) {
        if (e instanceof SSLPeerUnverifiedException) {
            return WRONG_NAME;
        }
        if (!(e instanceof SSLException)) {
            return OTHER;
        }
        String message = String.valueOf(e.getMessage());
        // A plain HTTP server answers a ClientHello with an HTTP error, which BoringSSL cannot parse as a record
        // (the JDK's TLS: "unrecognized SSL message"), or hangs up.
        if (message.contains("Unable to parse TLS packet header")
                || message.contains("Unsupported or unrecognized SSL message")
                || e instanceof SSLHandshakeException && e.getCause() instanceof EOFException) {
            return NOT_TLS;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof CertPathValidatorException || t.getClass().getName().contains("SunCertPathBuilder")
                    || String.valueOf(t.getMessage()).startsWith("PKIX path")) {
                return UNTRUSTED;
            }
            if (t instanceof CertificateException && String.valueOf(t.getMessage()).contains("No subject alternative")) {
                return WRONG_NAME;
            }
        }
        return OTHER;
    }

    /**
     * How to fix a failure talking to {@code namespace} at {@code hostPort}, or empty.
     *
     * @param hostsToml the file that configures the namespace (containerd's {@code certs.d} layout)
     */
    String advice(String hostPort, Path hostsToml) {
        String file = hostsToml.toString();
        return switch (this) {
            case NOT_TLS -> hostPort + " does not speak TLS; if it is meant to be used in plain HTTP, write " + file
                    + " with server = \"http://" + hostPort + "\" (or list it as a plain HTTP registry)";
            case UNTRUSTED -> "the certificate of " + hostPort + " is not signed by a CA this node trusts; add"
                    + " ca = \"<CA certificate file>\" to " + file + " (without a hosts.toml, a <name>.crt file in its"
                    + " directory does), or skip_verify = true for a test registry";
            case WRONG_NAME -> "the certificate of " + hostPort + " does not name " + hostPort + "; reissue it"
                    + " with that name, or set skip_verify = true in " + file + " for a test registry";
            case OTHER -> "";
        };
    }
}
