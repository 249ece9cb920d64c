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
 * The policy {@code scripts/install} ships ({@code packaging/policy.toml}) is safe before anyone edits it: an image
 * is refused, with the fix in the error, and nothing of it is mounted or unpacked.
 */
class FirstRunPolicyTest {

    private static Stack stack;

    @BeforeAll
    static void setUp() throws Exception {
        Path shipped = Path.of("packaging/policy.toml").toAbsolutePath();
        stack = Stack.start((dir, registry) -> "policy = \"" + shipped + "\"");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyImageIsRefusedUntilTheOperatorNamesASigner() throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve("first-run-src"));
        Files.writeString(Files.createDirectories(src.resolve("data")).resolve("hello.txt"), "hello\n");
        String plain = stack.pushBusyboxWith("first-run", src, List.of("cat", "/hello.txt"));
        String estargz = stack.registry + "/systest/first-run:esgz";
        LazysnapCli.convert(plain, estargz);

        IOException refused = assertThrows(IOException.class, () -> LazysnapCli.rpull(stack, estargz));
        assertTrue(refused.getMessage().contains("trusts no signer yet")
                && refused.getMessage().contains("keys = [\"cosign.pub\"]"), refused.getMessage());
        assertTrue(Processes.mountsUnder(stack.lazysnap.root).stream().noneMatch(m -> m.endsWith("/fs")),
                "nothing is FUSE-mounted");
        assertEquals("", stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls").lines().skip(1)
                .reduce("", String::concat), "no snapshot was made for the refused image");
    }
}
