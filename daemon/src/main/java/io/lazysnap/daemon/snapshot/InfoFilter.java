package io.lazysnap.daemon.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * containerd's filter language over snapshot infos, as {@code List} requests carry it.
 *
 * <p>A filter is comma-separated selectors that must all match; a selector is a field path, optionally followed by
 * an operator ({@code ==}, {@code !=}, {@code ~=} for a regular expression) and a value. A path without operator
 * matches when the field is present. Path components and values may be double-quoted, which is how label keys
 * containing dots are written: {@code labels."containerd.io/gc.root"==x}. Several filters match when any does.
 * Fields: {@code name}, {@code parent}, {@code kind} ({@code active|view|committed}), {@code labels.<key>}.
 */
public final class InfoFilter {

    private InfoFilter() {
    }

    /** A predicate matching infos accepted by any of {@code filters}; everything when the list is empty. */
    public static Predicate<SnapshotInfo> anyOf(List<String> filters) {
        Predicate<SnapshotInfo> result = null;
        for (String filter : filters) {
            if (filter.isBlank()) {
                continue;
            }
            Predicate<SnapshotInfo> p = parse(filter);
            result = result == null ? p : result.or(p);
        }
        return result == null ? info -> true : result;
    }

    /** Parses one filter: all of its selectors must match. */
    public static Predicate<SnapshotInfo> parse(String filter) {
        return new Parser(filter).filter();
    }

    private record Selector(List<String> path, String operator, String value, Pattern regex)
            implements Predicate<SnapshotInfo> {

        @Override
        public boolean test(SnapshotInfo info) {
            Optional<String> field = field(info);
            if (field.isEmpty()) {
                return false;
            }
            return switch (operator) {
                case "" -> true;
                case "==" -> field.get().equals(value);
                case "!=" -> !field.get().equals(value);
                default -> regex.matcher(field.get()).find();
            };
        }

        private Optional<String> field(SnapshotInfo info) {
            String head = path.get(0);
            if (path.size() == 1) {
                return switch (head) {
                    case "name" -> Optional.of(info.name());
                    // Always present: containerd asks for parent=="" when it looks for a layer without parent.
                    case "parent" -> Optional.of(info.parent());
                    case "kind" -> Optional.of(info.kind().filterName());
                    default -> Optional.empty();
                };
            }
            if (head.equals("labels")) {
                return Optional.ofNullable(info.labels().get(String.join(".", path.subList(1, path.size()))));
            }
            return Optional.empty();
        }
    }

    private static final class Parser {
        private final String text;
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        Predicate<SnapshotInfo> filter() {
            List<Selector> selectors = new ArrayList<>();
            do {
                selectors.add(selector());
                skipSpaces();
            } while (consume(","));
            if (pos != text.length()) {
                throw error("unexpected input");
            }
            return info -> selectors.stream().allMatch(s -> s.test(info));
        }

        private Selector selector() {
            List<String> path = new ArrayList<>();
            do {
                skipSpaces();
                path.add(atEnd() || text.charAt(pos) != '"' ? bareField() : quoted());
            } while (consume("."));
            skipSpaces();
            for (String op : List.of("==", "!=", "~=")) {
                if (consume(op)) {
                    skipSpaces();
                    String value = !atEnd() && text.charAt(pos) == '"' ? quoted() : bareValue();
                    return new Selector(path, op, value, op.equals("~=") ? regex(value) : null);
                }
            }
            return new Selector(path, "", "", null);
        }

        private String bareField() {
            int start = pos;
            while (!atEnd() && isFieldChar(text.charAt(pos))) {
                pos++;
            }
            if (start == pos) {
                throw error("expected a field name");
            }
            return text.substring(start, pos);
        }

        private static boolean isFieldChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '/' || c == ':';
        }

        private String bareValue() {
            int start = pos;
            while (!atEnd() && text.charAt(pos) != ',') {
                pos++;
            }
            return text.substring(start, pos).strip();
        }

        private String quoted() {
            StringBuilder out = new StringBuilder();
            pos++;
            while (!atEnd()) {
                char c = text.charAt(pos++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\' && !atEnd()) {
                    char e = text.charAt(pos++);
                    out.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        default -> e;
                    });
                } else {
                    out.append(c);
                }
            }
            throw error("unterminated quoted string");
        }

        private Pattern regex(String value) {
            try {
                return Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw error("invalid regular expression: " + e.getDescription());
            }
        }

        private boolean consume(String token) {
            if (text.startsWith(token, pos)) {
                pos += token.length();
                return true;
            }
            return false;
        }

        private void skipSpaces() {
            while (!atEnd() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private boolean atEnd() {
            return pos >= text.length();
        }

        private SnapshotException error(String what) {
            return SnapshotException.invalidArgument("filter %s: %s at position %d", quote(text), what, pos);
        }

        private static String quote(String s) {
            return '"' + s.replace("\"", "\\\"") + '"';
        }
    }
}
