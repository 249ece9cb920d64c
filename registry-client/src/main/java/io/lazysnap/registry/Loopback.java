package io.lazysnap.registry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which registry hosts are on this machine, as containerd's {@code docker.IsLocalhost} decides: the name
 * {@code localhost} and every loopback address literal ({@code 127.0.0.0/8}, {@code ::1}). Names are never
 * resolved: {@code localhost.example} or a DNS name pointing at 127.0.0.1 are remote hosts.
 */
final class Loopback {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private Loopback() {
    }

    /** {@code host} without port; IPv6 with or without brackets. */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.toLowerCase(Locale.ROOT).equals("localhost")) {
            return true;
        }
        if (IPV4.matcher(h).matches()) {
            String[] octets = h.split("\\.");
            return octets[0].equals("127") && java.util.Arrays.stream(octets).allMatch(o -> Integer.parseInt(o) < 256);
        }
        if (!h.contains(":")) {
            return false;
        }
        try {
            // An IPv6 literal: getByName parses it without a lookup (it never resolves a name with a colon).
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
