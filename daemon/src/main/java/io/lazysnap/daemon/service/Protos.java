package io.lazysnap.daemon.service;

import com.google.protobuf.Timestamp;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.types.Mount;
import io.lazysnap.daemon.snapshot.Kind;
import io.lazysnap.daemon.snapshot.MountSpec;
import io.lazysnap.daemon.snapshot.SnapshotException;
import io.lazysnap.daemon.snapshot.SnapshotInfo;
import java.time.Instant;
import java.util.List;

/** Conversions between the snapshots API messages and the domain types. */
final class Protos {

    private Protos() {
    }

    static List<Mount> mounts(List<MountSpec> specs) {
        return specs.stream().map(m -> Mount.newBuilder()
                .setType(m.type()).setSource(m.source()).addAllOptions(m.options()).build()).toList();
    }

    static Info info(SnapshotInfo info) {
        return Info.newBuilder()
                .setName(info.name())
                .setParent(info.parent())
                .setKind(kind(info.kind()))
                .setCreatedAt(timestamp(info.created()))
                .setUpdatedAt(timestamp(info.updated()))
                .putAllLabels(info.labels())
                .build();
    }

    /** The parts of an Info that Update reads: name and labels; times and kind are the store's business. */
    static SnapshotInfo updateRequest(Info info) {
        if (info.getName().isEmpty()) {
            throw SnapshotException.invalidArgument("update: snapshot name must not be empty");
        }
        return new SnapshotInfo(info.getName(), info.getParent(), Kind.ACTIVE, Instant.EPOCH, Instant.EPOCH,
                info.getLabelsMap());
    }

    private static io.lazysnap.proto.snapshots.v1.Kind kind(Kind kind) {
        return switch (kind) {
            case VIEW -> io.lazysnap.proto.snapshots.v1.Kind.VIEW;
            case ACTIVE -> io.lazysnap.proto.snapshots.v1.Kind.ACTIVE;
            case COMMITTED -> io.lazysnap.proto.snapshots.v1.Kind.COMMITTED;
        };
    }

    private static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }
}
