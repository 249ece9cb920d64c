package io.lazysnap.daemon.remote;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A remote snapshot as its directory records it ({@code layer.json} and the footer and TOC reads), opened without
 * the network: what {@code lazysnap inspect} shows while the daemon serves the layer.
 *
 * @param repository the repository the layer is fetched from
 * @param digest     the layer blob's digest
 * @param size       the blob's compressed size
 * @param mediaType  the layer descriptor's media type
 * @param layer      the layer's TOC and format, from the recorded reads
 */
public record RecordedLayer(String repository, String digest, long size, String mediaType,
                            Map<String, String> annotations, EstargzLayer layer) {

    /** Whether {@code snapshotDir} holds a remote layer's record. */
    public static boolean isRemote(Path snapshotDir) {
        return Files.isRegularFile(snapshotDir.resolve(LayerState.FILE));
    }

    public static RecordedLayer open(Path snapshotDir) throws IOException {
        LayerState state = LayerState.load(snapshotDir);
        BlobSource offline = RecordedReads.load(snapshotDir.resolve(LayerState.READS_FILE))
                .replaying(new BlobSource() {
                    @Override
                    public long size() {
                        return state.size();
                    }

                    @Override
                    public byte[] read(long offset, int length) throws IOException {
                        throw new IOException("bytes " + offset + "+" + length + " of " + state.digest()
                                + " were not recorded when the layer was opened");
                    }
                });
        return new RecordedLayer(state.repository(), state.digest(), state.size(), state.mediaType(),
                state.annotations(), EstargzLayer.reopen(offline, state.annotations()));
    }
}
