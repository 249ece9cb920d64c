package io.lazysnap.daemon.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class InfoFilterTest {

    private static final SnapshotInfo LAYER = new SnapshotInfo("sha256:abc", "sha256:parent", Kind.COMMITTED,
            Instant.EPOCH, Instant.EPOCH, Map.of("containerd.io/snapshot.ref", "sha256:abc", "a.b", "x,y", "n", "1"));

    private static boolean matches(String... filters) {
        return InfoFilter.anyOf(List.of(filters)).test(LAYER);
    }

    @Test
    void selectorsAndFields() {
        assertTrue(matches("name==sha256:abc"));
        assertTrue(matches("kind==committed"));
        assertFalse(matches("kind==active"));
        assertTrue(matches("parent==\"sha256:parent\""));
        SnapshotInfo base = new SnapshotInfo("base", "", Kind.COMMITTED, Instant.EPOCH, Instant.EPOCH, Map.of());
        assertTrue(InfoFilter.parse("parent==\"\"").test(base), "containerd looks up parentless layers so");
        assertFalse(InfoFilter.parse("parent!=\"\"").test(base));
        assertTrue(matches("labels.\"containerd.io/snapshot.ref\""));
        assertTrue(matches("labels.\"a.b\"==\"x,y\""), "quoted values may hold commas");
        assertFalse(matches("labels.missing"));
        assertFalse(matches("labels.missing!=x"), "an absent field matches no operator");
        assertTrue(matches("labels.n~=^[0-9]+$"));
        assertTrue(matches("name == sha256:abc , kind == committed"), "spaces around tokens are allowed");
        assertTrue(matches(), "no filter matches everything");
        assertTrue(matches("kind==view", "n!=1", "name~=abc"), "filters are OR-ed");
        assertFalse(matches("kind==committed,labels.n==2"), "selectors are AND-ed");
    }

    @Test
    void labelEqualitiesLetAStoreLookMatchesUp() {
        String target = "labels.\"containerd.io/snapshot.ref\"==sha256:abc";
        assertEquals(Optional.of(List.of(new Label("containerd.io/snapshot.ref", "sha256:abc"))),
                InfoFilter.anyOf(List.of(target + ",parent==\"sha256:parent\"")).candidateLabels(),
                "containerd's lookup of a prepared layer");
        assertEquals(Optional.of(List.of(new Label("a.b", "x,y"), new Label("n", "1"))),
                InfoFilter.anyOf(List.of("kind==committed,labels.\"a.b\"==\"x,y\"", "labels.n==1,labels.m==2"))
                        .candidateLabels(), "one label a filter, its first equality");
        for (List<String> scans : List.<List<String>>of(List.of(), List.of("name==sha256:abc"), List.of("labels.n"),
                List.of("labels.n!=2"), List.of("labels.n~=1"), List.of(target, "kind==committed"))) {
            assertEquals(Optional.empty(), InfoFilter.anyOf(scans).candidateLabels(), scans.toString());
        }
        assertTrue(matches(target, "kind==committed"));
        assertEquals(Optional.of(List.of(new Label("n", "1"))),
                InfoFilter.anyOf(List.of("labels.n==1", "kind==active,labels.n==1")).candidateLabels(), "once");
        List<String> many = IntStream.rangeClosed(0, InfoFilter.MAX_CANDIDATE_LABELS)
                .mapToObj(i -> "labels.n==" + i).toList();
        assertEquals(Optional.empty(), InfoFilter.anyOf(many).candidateLabels(),
                "too many labels for one query: every snapshot is tested");
        assertTrue(InfoFilter.anyOf(many).test(LAYER));
    }

    @Test
    void malformedFiltersAreInvalidArguments() {
        for (String bad : List.of("labels.\"open", "name~=(", "==x", "name==a,", "name=a")) {
            SnapshotException e = assertThrows(SnapshotException.class, () -> InfoFilter.parse(bad), bad);
            assertEquals(SnapshotException.Reason.INVALID_ARGUMENT, e.reason(), bad);
            assertTrue(e.getMessage().contains("position"), e.getMessage());
        }
    }
}
