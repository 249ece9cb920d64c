package io.lazysnap.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lazysnap.server.progress.Progress;
import io.lazysnap.server.progress.Task;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The lines the daemon answers a pull request with, one JSON object each: {@code task} (a progress line was added
 * or changed), {@code message}, and last either {@code pulled} (the containerd image name) or {@code error}.
 */
final class PullEvents {

    static final ObjectMapper JSON = new ObjectMapper();

    private PullEvents() {
    }

    static String task(Task task, boolean statusChanged) {
        return JSON.createObjectNode().put("type", "task").put("index", task.index()).put("name", task.name())
                .put("status", task.status()).put("done", task.done()).put("total", task.total())
                .put("changed", statusChanged).toString();
    }

    static String message(String text) {
        return event("message").put("text", text).toString();
    }

    static String pulled(String image) {
        return event("pulled").put("image", image).toString();
    }

    static String error(String text) {
        return event("error").put("text", text).toString();
    }

    private static ObjectNode event(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    /** Applies the daemon's events to a local {@link Progress}; the last event says how the pull ended. */
    static final class Replay {
        private final Progress progress;
        private final Map<Integer, Task> tasks = new HashMap<>();

        Replay(Progress progress) {
            this.progress = progress;
        }

        /** Applies one event line; returns the image name once pulled, or null while the pull goes on. */
        String apply(String line) throws IOException {
            JsonNode event = JSON.readTree(line);
            switch (event.path("type").asText()) {
                case "task" -> task(event);
                case "message" -> progress.message(event.path("text").asText());
                case "pulled" -> {
                    return event.path("image").asText();
                }
                case "error" -> throw new IOException(event.path("text").asText());
                default -> throw new IOException("the daemon sent an event this client does not know: " + line
                        + " (is lazysnap older than its daemon?)");
            }
            return null;
        }

        private void task(JsonNode event) {
            String status = event.path("status").asText();
            long done = event.path("done").asLong();
            long total = event.path("total").asLong();
            Task task = tasks.get(event.path("index").asInt());
            if (task == null) {
                task = progress.task(event.path("name").asText(), total);
                tasks.put(event.path("index").asInt(), task);
                if (status.equals(task.status()) && done == 0) {
                    return;
                }
            } else if (!event.path("changed").asBoolean()) {
                task.advance(done - task.done());
                return;
            }
            task.status(status, total);
            task.advance(done);
        }
    }
}
