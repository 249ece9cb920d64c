package io.lazysnap.registry;

import io.lazysnap.estargz.CryptoProvider;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TLS settings per {@code host:port}. OkHttp takes one socket factory per client, so this factory picks the
 * context for the peer it is asked to wrap: hosts with a private CA, client certificates or {@code skip_verify}
 * get their own, everything else (including blob storage we are redirected to) the JDK's default trust.
 */
final class HostTls {

    /**
     * The client keys BoringSSL signs with through Conscrypt. It offers an Ed25519 certificate to no server, so a
     * host with such a key gets the JDK's TLS.
     */
    private static final Set<String> BORING_CLIENT_KEYS = Set.of("RSA", "EC");
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private final SSLContext defaultContext;
    private final X509TrustManager defaultTrust;
    private final Map<String, Configured> contexts = new ConcurrentHashMap<>();
    private final Set<String> unverified = ConcurrentHashMap.newKeySet();
    private final HostnameVerifier standardVerifier;

    private record Configured(Endpoint endpoint, SSLContext context) {
    }

    HostTls(HostnameVerifier standardVerifier) {
        this.standardVerifier = standardVerifier;
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            defaultTrust = forBoringSsl((X509TrustManager) tmf.getTrustManagers()[0]);
            defaultContext = newContext();
            defaultContext.init(null, new TrustManager[]{defaultTrust}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no usable default TLS configuration", e);
        }
    }

    X509TrustManager defaultTrust() {
        return defaultTrust;
    }

    /** Makes the endpoint's TLS settings apply to every connection to its {@code host:port}. */
    void register(Endpoint endpoint) {
        if (!endpoint.hasCustomTls() || !endpoint.apiRoot().isHttps()) {
            return;
        }
        // HostsConfig hands out the same Endpoint until its file changes: identity tells when to rebuild.
        contexts.compute(endpoint.authority(), (k, old) -> old != null && old.endpoint() == endpoint ? old
                : new Configured(endpoint, build(endpoint)));
        if (endpoint.skipVerify()) {
            unverified.add(endpoint.authority());
        } else {
            unverified.remove(endpoint.authority());
        }
    }

    private static SSLContext build(Endpoint endpoint) {
        try {
            TrustManager[] trust;
            if (endpoint.skipVerify()) {
                trust = new TrustManager[]{new TrustingEverything()};
            } else {
                KeyStore roots = KeyStore.getInstance(KeyStore.getDefaultType());
                roots.load(null, null);
                TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                system.init((KeyStore) null);
                int n = 0;
                // Like containerd, a configured CA is added to the system roots rather than replacing them.
                for (X509Certificate c : ((X509TrustManager) system.getTrustManagers()[0]).getAcceptedIssuers()) {
                    roots.setCertificateEntry("system-" + n++, c);
                }
                for (Path ca : endpoint.caFiles()) {
                    for (Certificate c : certificates(ca)) {
                        roots.setCertificateEntry("ca-" + n++, c);
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(roots);
                trust = new TrustManager[]{forBoringSsl((X509TrustManager) tmf.getTrustManagers()[0])};
            }
            KeyManagerFactory kmf = null;
            boolean boringSigns = true;
            if (!endpoint.clientPairs().isEmpty()) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                int n = 0;
                for (Path[] pair : endpoint.clientPairs()) {
                    List<Certificate> chain = certificates(pair[0]);
                    PrivateKey key = privateKey(pair[1] != null ? pair[1] : pair[0]);
                    keys.setKeyEntry("client-" + n++, key, new char[0], chain.toArray(new Certificate[0]));
                    boringSigns &= BORING_CLIENT_KEYS.contains(key.getAlgorithm());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext context = boringSigns ? newContext() : SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), trust, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS for " + endpoint + ": " + e.getMessage(), e);
        }
    }

    /**
     * BoringSSL's TLS where Conscrypt loads ({@link CryptoProvider}): under the daemon's C1-only JIT the JDK's
     * AES-GCM decrypts about 25 MiB/s, BoringSSL's at the CPU's AES speed.
     */
    private static SSLContext newContext() throws GeneralSecurityException {
        Optional<Provider> conscrypt = CryptoProvider.conscrypt();
        return conscrypt.isPresent() ? SSLContext.getInstance("TLS", conscrypt.get()) : SSLContext.getInstance("TLS");
    }

    /** The JDK's trust manager as BoringSSL's TLS 1.3 needs it ({@link Tls13AuthType}); others as they are. */
    private static X509TrustManager forBoringSsl(X509TrustManager jdk) {
        return jdk instanceof X509ExtendedTrustManager extended ? new Tls13AuthType(extended) : jdk;
    }

    /** The certificates in a PEM file, skipping any key that shares the file. */
    private static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<Certificate> out = new ArrayList<>();
        Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        while (m.find()) {
            if (m.group(1).equals("CERTIFICATE")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                out.add(factory.generateCertificate(new ByteArrayInputStream(der)));
            }
        }
        if (out.isEmpty()) {
            throw new GeneralSecurityException(file + " holds no PEM certificate");
        }
        return out;
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        Matcher m = PEM.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        while (m.find()) {
            if (m.group(1).equals("PRIVATE KEY")) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                    } catch (GeneralSecurityException notThisAlgorithm) {
                        // try the next one: PKCS#8 names the algorithm only inside the DER
                    }
                }
            } else if (m.group(1).endsWith("PRIVATE KEY")) {
                throw new GeneralSecurityException(file + " holds a " + m.group(1)
                        + "; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)");
            }
        }
        throw new GeneralSecurityException(file + " holds no PKCS#8 private key");
    }

    SSLSocketFactory socketFactory() {
        return new Dispatching();
    }

    HostnameVerifier hostnameVerifier() {
        return (host, session) -> unverified.contains(host + ":" + session.getPeerPort())
                || standardVerifier.verify(host, session);
    }

    /** Picks the context by the peer OkHttp names when it layers TLS over a connected socket. */
    private final class Dispatching extends SSLSocketFactory {

        private SSLSocketFactory forPeer(String host, int port) {
            Configured c = contexts.get(host + ":" + port);
            return (c != null ? c.context() : defaultContext).getSocketFactory();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return forPeer(host, port).createSocket(s, host, port, autoClose);
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return defaultContext.getSocketFactory().getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return defaultContext.getSocketFactory().getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return forPeer(host, port).createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
            return forPeer(host, port).createSocket(host, port, local, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return forPeer(host.getHostName(), port).createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort)
                throws IOException {
            return forPeer(address.getHostName(), port).createSocket(address, port, local, localPort);
        }
    }

    /** Only for hosts configured {@code skip_verify = true}. */
    private static final class TrustingEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
