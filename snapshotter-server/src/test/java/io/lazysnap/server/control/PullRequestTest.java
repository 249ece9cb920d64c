package io.lazysnap.server.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class PullRequestTest {

    @Test
    void roundTripsEveryFieldIncludingNullsAndCharactersJsonMustEscape() throws IOException {
        PullRequest request = new PullRequest("reg.test:5000/a/b:v1", "/run/c \"d\"\n.sock", "k8s.io", "lazysnap",
                null, true, "/etc/certs.d/é");
        assertEquals(request, PullRequest.fromJson(request.toJson()));
        assertTrue(request.toJson().contains("\"plain_http\":true"), request.toJson());
    }

    @Test
    void refusesWhatIsNotAFlatObjectWithTheFieldsAPullNeeds() {
        for (String bad : new String[] {"[]", "{\"reference\":{\"x\":1}}", "{\"reference\":\"r\"}", "{", "{} {}",
                "{\"reference\":\"r\",\"containerd\":\"c\",\"namespace\":\"n\",\"snapshotter\":1.5}"}) {
            IOException e = assertThrows(IOException.class, () -> PullRequest.fromJson(bad), bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), bad);
        }
    }

    @Test
    void eventsRoundTripThroughTheReplay() throws IOException {
        assertEquals("{\"type\":\"pulled\",\"image\":\"x/y:z\"}", PullEvents.pulled("x/y:z"));
        IOException e = assertThrows(IOException.class,
                () -> new PullEvents.Replay(null).apply(PullEvents.error("no such image")));
        assertEquals("no such image", e.getMessage());
        assertEquals("x/y:z", new PullEvents.Replay(null).apply(PullEvents.pulled("x/y:z")));
    }
}
