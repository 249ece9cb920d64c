package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node's {@code /etc/containers/policy.json} as the daemon's policy, through containerd, runc, FUSE and
 * docker-registry: the scope it opens runs lazily, the default's {@code reject} refuses with its reason and leaves
 * nothing mounted or snapshotted.
 */
class ContainersPolicyJsonTest {

    private static Stack stack;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start((dir, registry) -> {
            Path policy = dir.resolve("policy.json");
            Files.writeString(policy, """
                    {
                      "default": [{"type": "insecureAcceptAnything"}],
                      "transports": {"docker": {
                        "": [{"type": "reject"}],
                        "%s/systest/open": [{"type": "insecureAcceptAnything"}]
                      }}
                    }
                    """.formatted(registry));
            return "policy = \"" + policy + "\"";
        });
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theOpenScopeRunsAndTheDockerDefaultRejectsTheRest() throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve("policy-json-src"));
        Files.writeString(Files.createDirectories(src.resolve("data")).resolve("hello.txt"), "hello from json\n");
        String plain = stack.pushBusyboxWith("policy-json", src, List.of("cat", "/hello.txt"));
        String refusedRef = stack.registry + "/systest/closed:esgz";
        String openRef = stack.registry + "/systest/open:esgz";
        LazysnapCli.convert(plain, refusedRef);
        LazysnapCli.convert(plain, openRef);

        IOException refused = assertThrows(IOException.class, () -> LazysnapCli.rpull(stack, refusedRef));
        assertTrue(refused.getMessage().contains("the policy rejects these images"), refused.getMessage());
        assertTrue(Processes.mountsUnder(stack.lazysnap.root).stream().noneMatch(m -> m.endsWith("/fs")),
                "nothing is FUSE-mounted");
        assertEquals("", stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls").lines().skip(1)
                .reduce("", String::concat), "no snapshot was made for the refused image");

        LazysnapCli.rpull(stack, openRef);
        assertEquals("hello from json\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", openRef,
                "policy-json-open"), stack.logs());
        assertTrue(Processes.mountsUnder(stack.lazysnap.root).stream().anyMatch(m -> m.endsWith("/fs")),
                "the open scope's layers are served lazily");
    }
}
