package io.lazysnap.daemon.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class PullRequestTest {

    @Test
    void roundTripsEveryFieldIncludingNullsAndCharactersJsonMustEscape() throws IOException {
        PullRequest request = new PullRequest("reg.test:5000/a/b:v1", "/run/c \"d\"\n.sock", "k8s.io", "lazysnap",
                null, true, "/etc/certs.d/é", true);
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
    void theOutcomeLineCarriesTheImageOrTheReason() throws IOException {
        assertEquals("\0pulled x/y:z", PullOutcome.pulled("x/y:z"));
        assertEquals("x/y:z", PullOutcome.image(PullOutcome.pulled("x/y:z")));
        IOException e = assertThrows(IOException.class, () -> PullOutcome.image(PullOutcome.error("no such\nimage")));
        assertEquals("no such image", e.getMessage(), "one line, whatever the reason held");
        assertFalse(PullOutcome.isOutcome("abc123  applied"));
        assertThrows(IOException.class, () -> PullOutcome.image("\0shrug"));
    }
}
