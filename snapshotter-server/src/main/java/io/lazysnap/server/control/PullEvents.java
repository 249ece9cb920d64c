package io.lazysnap.server.control;

import static io.lazysnap.server.control.FlatJson.flag;
import static io.lazysnap.server.control.FlatJson.number;
import static io.lazysnap.server.control.FlatJson.text;

import io.lazysnap.server.progress.Progress;
import io.lazysnap.server.progress.Task;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lines the daemon answers a pull request with, one JSON object each: {@code task} (a progress line was added
 * or changed), {@code message}, and last either {@code pulled} (the containerd image name) or {@code error}.
 */
final class PullEvents {

    private PullEvents() {
    }

    static String task(Task task, boolean statusChanged) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", "task");
        event.put("index", task.index());
        event.put("name", task.name());
        event.put("status", task.status());
        event.put("done", task.done());
        event.put("total", task.total());
        event.put("changed", statusChanged);
        return FlatJson.write(event);
    }

    static String message(String text) {
        return event("message", "text", text);
    }

    static String pulled(String image) {
        return event("pulled", "image", image);
    }

    static String error(String text) {
        return event("error", "text", text);
    }

    private static String event(String type, String key, String value) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type);
        event.put(key, value);
        return FlatJson.write(event);
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
            Map<String, Object> event = FlatJson.read(line);
            switch (text(event, "type")) {
                case "task" -> task(event);
                case "message" -> progress.message(text(event, "text"));
                case "pulled" -> {
                    return text(event, "image");
                }
                case "error" -> throw new IOException(text(event, "text"));
                default -> throw new IOException("the daemon sent an event this client does not know: " + line
                        + " (is lazysnap older than its daemon?)");
            }
            return null;
        }

        private void task(Map<String, Object> event) {
            String status = text(event, "status");
            long done = number(event, "done");
            long total = number(event, "total");
            int index = (int) number(event, "index");
            Task task = tasks.get(index);
            if (task == null) {
                task = progress.task(text(event, "name"), total);
                tasks.put(index, task);
                if (status.equals(task.status()) && done == 0) {
                    return;
                }
            } else if (!flag(event, "changed")) {
                task.advance(done - task.done());
                return;
            }
            task.status(status, total);
            task.advance(done);
        }
    }
}
