package io.lazysnap.cli;

import io.lazysnap.verifier.Policy;
import io.lazysnap.verifier.Verdict;
import io.lazysnap.verifier.Verifier;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lazysnap verify}: the verdict the node's signature gate would give an image, and why. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check an image's cosign signature against a policy file or one public key, as the"
                + " daemon's gate does before it mounts or unpacks anything.",
                "Exit status: 0 when the image would be admitted, 1 when it would be refused."})
final class VerifyCommand implements Callable<Integer> {

    @ArgGroup(exclusive = true, multiplicity = "1")
    Trust trust;

    static final class Trust {
        @Option(names = "--policy", paramLabel = "FILE", description = "Signature policy (TOML), as in the daemon config")
        Path policy;

        @Option(names = "--key", paramLabel = "PUB", description = "A PEM public key that must have signed the image")
        Path key;
    }

    @Mixin
    ImageCommandOptions image;

    @Override
    public Integer call() {
        return image.run("verify", (reference, client) -> {
            Policy policy = trust.policy != null ? Policy.load(trust.policy) : Policy.requireKey(trust.key);
            Verdict verdict = Verifier.builder(policy, client).build().verify(reference);
            System.out.println(verdict);
            return verdict.allowed() ? 0 : 1;
        });
    }
}
