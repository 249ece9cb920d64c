package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import okhttp3.tls.HeldCertificate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS for a {@link Registry}: a CA made for the test and a server certificate for 127.0.0.1 it signed, and
 * the containerd {@code certs.d} entry through which a client trusts that CA.
 */
final class RegistryTls {

    private final HeldCertificate ca;
    private final Path certificate;
    private final Path key;

    private RegistryTls(HeldCertificate ca, Path certificate, Path key) {
        this.ca = ca;
        this.certificate = certificate;
        this.key = key;
    }

    /** Makes the CA and the server certificate, writing the server's files under {@code dir}. */
    static RegistryTls create(Path dir) throws IOException {
        HeldCertificate ca = new HeldCertificate.Builder().certificateAuthority(0).commonName("test CA").build();
        HeldCertificate server = new HeldCertificate.Builder().signedBy(ca).addSubjectAlternativeName("127.0.0.1")
                .build();
        Path certs = Files.createDirectories(dir.resolve("tls"));
        Path certificate = Files.writeString(certs.resolve("tls.crt"), server.certificatePem());
        Path key = Files.writeString(certs.resolve("tls.key"), server.privateKeyPkcs8Pem());
        return new RegistryTls(ca, certificate, key);
    }

    /** The registry config lines that turn TLS on; they belong in its {@code http:} section, so come first. */
    String httpConfig() {
        return String.join("\n",
                "  tls:",
                "    certificate: " + certificate,
                "    key: " + key);
    }

    /**
     * Writes {@code certsD/<host>/hosts.toml} naming {@code https://<host>} as the server with this CA, followed by
     * {@code extraLines} (e.g. mirrors), and returns {@code certsD} for {@link RegistryClient.Builder#hostsDir}.
     */
    Path trustIn(Path certsD, String host, String... extraLines) throws IOException {
        Path hostDir = Files.createDirectories(certsD.resolve(host));
        Files.writeString(hostDir.resolve("ca.pem"), ca.certificatePem());
        List<String> lines = new ArrayList<>(List.of("server = \"https://" + host + "\"", "ca = \"ca.pem\""));
        lines.addAll(List.of(extraLines));
        Files.writeString(hostDir.resolve("hosts.toml"), String.join("\n", lines) + "\n");
        return certsD;
    }
}
