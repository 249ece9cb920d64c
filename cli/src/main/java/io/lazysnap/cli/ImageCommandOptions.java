package io.lazysnap.cli;

import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The image a command works on, with the logging and registry options of every such command. */
final class ImageCommandOptions {

    /** What a command does with the image and a client of its registry. */
    @FunctionalInterface
    interface Work<T> {
        T run(Reference image, RegistryClient client) throws Exception;
    }

    @Mixin
    CliLogging logging;

    @Mixin
    RegistryOptions registry;

    @Parameters(paramLabel = "REF", description = "Image reference, e.g. registry.example.com/app:v1")
    String ref;

    /**
     * Applies the logging options, then runs {@code work} with the image and a client that is closed after; a
     * failure is reported as {@code command}'s.
     *
     * @return the exit status
     */
    int run(String command, Work<Integer> work) {
        logging.apply();
        try {
            Reference image = Reference.parse(ref);
            try (RegistryClient client = registry.client(image)) {
                return work.run(image, client);
            }
        } catch (Exception e) {
            return CliErrors.report(command, e);
        }
    }
}
