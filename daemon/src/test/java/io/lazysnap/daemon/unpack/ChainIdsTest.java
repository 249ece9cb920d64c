package io.lazysnap.daemon.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChainIdsTest {

    // sha256 of "a", "b" and "c"; the chain values were computed with sha256sum over "<parent> <diffID>".
    private static final String A = "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    private static final String B = "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
    private static final String C = "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6";

    @Test
    void firstLayerIsItsOwnChainAndEachFurtherOneHashesParentAndDiffId() {
        assertEquals(List.of(A,
                "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676",
                "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106"),
                ChainIds.of(List.of(A, B, C)));
    }

    @Test
    void noLayersNoChain() {
        assertEquals(List.of(), ChainIds.of(List.of()));
    }
}
