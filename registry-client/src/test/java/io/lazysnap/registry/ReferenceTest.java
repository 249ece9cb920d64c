package io.lazysnap.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReferenceTest {

    private static final String D = "sha256:" + "a".repeat(64);

    @ParameterizedTest
    @CsvSource({
            "alpine, docker.io, library/alpine, docker.io/library/alpine:latest",
            "alpine:3.20, docker.io, library/alpine, docker.io/library/alpine:3.20",
            "user/app, docker.io, user/app, docker.io/user/app:latest",
            "index.docker.io/library/busybox:1, docker.io, library/busybox, docker.io/library/busybox:1",
            "ghcr.io/org/team/app:v1.2_3, ghcr.io, org/team/app, ghcr.io/org/team/app:v1.2_3",
            "localhost/app, localhost, app, localhost/app:latest",
            "localhost:5000/app:dev, localhost:5000, app, localhost:5000/app:dev",
            "127.0.0.1:5000/a/b, 127.0.0.1:5000, a/b, 127.0.0.1:5000/a/b:latest",
            "[::1]:5000/app:v1, [::1]:5000, app, [::1]:5000/app:v1",
            "[fe80::1%eth0]/app, [fe80::1%eth0], app, [fe80::1%eth0]/app:latest",
            "Registry.Example/app, Registry.Example, app, Registry.Example/app:latest",
            "a.b/c__d/e-f--g.h, a.b, c__d/e-f--g.h, a.b/c__d/e-f--g.h:latest",
    })
    void normalises(String input, String registry, String repository, String canonical) {
        Reference r = Reference.parse(input);
        assertEquals(registry, r.registry());
        assertEquals(repository, r.repository());
        assertEquals(canonical, r.toString());
    }

    @Test
    void digestsPinAndKeepTheTag() {
        Reference byDigest = Reference.parse("quay.io/x/y@" + D);
        assertTrue(byDigest.tag().isEmpty());
        assertEquals(D, byDigest.manifestKey());
        Reference both = Reference.parse("localhost:5000/x:v1@" + D);
        assertEquals("v1", both.tag().orElseThrow());
        assertEquals(D, both.manifestKey(), "the digest wins over the tag");
        assertEquals("localhost:5000/x:v1@" + D, both.toString());
        assertEquals(both, Reference.parse("localhost:5000/x:v1").withDigest(D));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Alpine", "docker.io/Library/alpine", "alpine:", "alpine:-bad", "a//b", "a/",
            "/a", "alpine@sha256:abc", "alpine@md5:" + "a", "host:port:5000/x", "a..b/c", "a/b_-c",
            "[::1]", "x:ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"})
    void rejectsWithAClearMessage(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reference.parse(input));
        assertTrue(e.getMessage().startsWith("invalid image reference '" + input + "': "), e.getMessage());
    }

    @Test
    void rejectsImageIdsAndOverlongNames() {
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("a".repeat(64)));
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("x.io/" + "a/".repeat(130) + "b"));
        String message = assertThrows(IllegalArgumentException.class, () -> Reference.parse("x.io/App"))
                .getMessage();
        assertTrue(message.endsWith("repository names must be lowercase"), message);
    }
}
