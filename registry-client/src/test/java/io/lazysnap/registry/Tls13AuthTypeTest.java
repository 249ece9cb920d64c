package io.lazysnap.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.Test;

class Tls13AuthTypeTest {

    /** Records the auth types it is asked to check. */
    private static final class Recording extends X509ExtendedTrustManager {
        final List<String> seen = new ArrayList<>();

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            seen.add("server socket " + authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            seen.add("server engine " + authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            seen.add("server " + authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            seen.add("client socket " + authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            seen.add("client engine " + authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            seen.add("client " + authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    @Test
    void boringSslsTls13NameReachesTheJdkAsItsOwnAndOthersUnchanged() throws Exception {
        Recording jdk = new Recording();
        Tls13AuthType trust = new Tls13AuthType(jdk);
        X509Certificate[] chain = new X509Certificate[0];
        trust.checkServerTrusted(chain, "GENERIC", (Socket) null);
        trust.checkServerTrusted(chain, "GENERIC", (SSLEngine) null);
        trust.checkServerTrusted(chain, "GENERIC");
        trust.checkServerTrusted(chain, "ECDHE_RSA", (Socket) null);
        trust.checkClientTrusted(chain, "GENERIC", (Socket) null);
        assertEquals(List.of("server socket UNKNOWN", "server engine UNKNOWN", "server UNKNOWN",
                "server socket ECDHE_RSA", "client socket UNKNOWN"), jdk.seen);
    }
}
