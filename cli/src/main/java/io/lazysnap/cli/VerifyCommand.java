package io.lazysnap.cli;

import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.verifier.Policy;
import io.lazysnap.verifier.Verdict;
import io.lazysnap.verifier.Verifier;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
    CliLogging logging;

    @Mixin
    RegistryOptions registry;

    @Parameters(paramLabel = "REF", description = "Image to check")
    String ref;

    @Override
    public Integer call() {
        logging.apply();
        try {
            Reference image = Reference.parse(ref);
            Policy policy = trust.policy != null ? Policy.load(trust.policy) : Policy.requireKey(trust.key);
            try (RegistryClient client = registry.client(image)) {
                Verdict verdict = Verifier.builder(policy, client).build().verify(image);
                System.out.println(verdict);
                return verdict.allowed() ? 0 : 1;
            }
        } catch (Exception e) {
            return CliErrors.report("verify", e);
        }
    }
}
