package io.lazysnap.daemon.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Unpacks layers that are not served remotely itself, so that containerd does not download them: a Prepare whose
 * labels name such a layer becomes a committed snapshot holding the unpacked files. It may start on the image's
 * other layers as soon as one of them is prepared, downloading and unpacking them in parallel.
 */
public interface LayerUnpacker {

    /** A layer unpacked into a directory of its own, waiting to be moved into its snapshot. */
    interface UnpackedLayer {
        /**
         * Moves the files to {@code fs} (which must not exist), first giving the directories the layer left out
         * the attributes they have in {@code lowers} (the parent snapshots' {@code fs} directories, top first).
         */
        void moveTo(Path fs, List<Path> lowers) throws IOException;

        /** Deletes whatever was not moved. */
        void discard();
    }

    /** Starts, without waiting, unpacking the layers of {@code layer}'s image which it would unpack. */
    void ahead(LayerLabels layer);

    /**
     * The layer, unpacked; empty when it does not unpack it (a layer it cannot unpack), and then containerd
     * downloads it.
     *
     * @throws IOException when it tried and failed (a download or unpack failure, a wrong digest): containerd
     *                     downloads the layer instead
     */
    Optional<UnpackedLayer> unpack(LayerLabels layer) throws IOException;
}
