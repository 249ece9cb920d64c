package io.lazysnap.cli;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.daemon.remote.HostPlatform;
import io.lazysnap.verifier.CosignSigner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lazysnap sign}: attach a classic cosign signature to an image, as {@code cosign sign --key} does. */
@Command(name = "sign", mixinStandardHelpOptions = true,
        description = "Sign an image with a private key (unencrypted PKCS#8 PEM) and push the signature to the"
                + " image's repository at sha256-<digest>.sig, in cosign's classic format.")
final class SignCommand implements Callable<Integer> {

    @Option(names = "--key", required = true, paramLabel = "KEY", description = "PKCS#8 PEM private key (EC, RSA or Ed25519)")
    Path key;

    @Option(names = "--platform-manifest", description = "Sign this node's platform manifest instead of the"
            + " reference's own digest (the index, for a multi-platform image)")
    boolean platformManifest;

    @Mixin
    ImageCommandOptions image;

    @Override
    public Integer call() {
        return image.run("sign", (reference, client) -> {
            CosignSigner signer = CosignSigner.fromPem(key);
            var resolved = client.resolve(reference, HostPlatform.get());
            String digest = platformManifest || resolved.index().isEmpty()
                    ? resolved.manifest().descriptor().digest()
                    : resolved.reference().digest().orElseThrow();
            Descriptor signature = signer.sign(client, reference, digest);
            System.out.println("signed " + reference.name() + "@" + digest + " (signature manifest "
                    + signature.digest() + ")");
            return 0;
        });
    }
}
