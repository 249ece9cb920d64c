package io.lazysnap.daemon.snapshot;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
public final class InfoFilter implements Predicate<SnapshotInfo> {

    /** Matches every snapshot. */
    public static final InfoFilter ALL = new InfoFilter(info -> true, Optional.empty());

    static final int MAX_CANDIDATE_LABELS = 64;

    private final Predicate<SnapshotInfo> test;
    private final Optional<List<Label>> candidateLabels;

    private InfoFilter(Predicate<SnapshotInfo> test, Optional<List<Label>> candidateLabels) {
        this.test = test;
        this.candidateLabels = candidateLabels;
    }

    /** A filter matching infos accepted by any of {@code filters}; everything when the list is empty. */
    public static InfoFilter anyOf(List<String> filters) {
        List<InfoFilter> parsed = filters.stream().filter(f -> !f.isBlank()).map(InfoFilter::parse).toList();
        if (parsed.isEmpty()) {
            return ALL;
        }
        Predicate<SnapshotInfo> test = info -> parsed.stream().anyMatch(f -> f.test(info));
        Set<Label> labels = new LinkedHashSet<>();
        for (InfoFilter f : parsed) {
            if (f.candidateLabels.isEmpty()) {
                return new InfoFilter(test, Optional.empty());
            }
            labels.addAll(f.candidateLabels.get());
        }
        // Each label is a term of one OR in the store's query, whose depth SQLite bounds: past a few, scan.
        return new InfoFilter(test, labels.size() <= MAX_CANDIDATE_LABELS ? Optional.of(List.copyOf(labels))
                : Optional.empty());
    }

    /** Parses one filter: all of its selectors must match. */
    public static InfoFilter parse(String filter) {
        return new Parser(filter).filter();
    }

    @Override
    public boolean test(SnapshotInfo info) {
        return test.test(info);
    }

    /**
     * Labels such that every snapshot this filter matches carries at least one of them (key and value), so that a
     * store can look its matches up instead of reading every snapshot; empty when there are none such, and every
     * snapshot must be tested. containerd's lookup of a layer by the chain ID it was prepared for gives one.
     */
    Optional<List<Label>> candidateLabels() {
        return candidateLabels;
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

        /** The label this selector requires, when it requires one to have a given value. */
        Optional<Label> label() {
            return operator.equals("==") && path.size() > 1 && path.get(0).equals("labels")
                    ? Optional.of(new Label(labelKey(), value)) : Optional.empty();
        }

        private String labelKey() {
            return String.join(".", path.subList(1, path.size()));
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
                return Optional.ofNullable(info.labels().get(labelKey()));
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

        InfoFilter filter() {
            List<Selector> selectors = new ArrayList<>();
            do {
                selectors.add(selector());
                skipSpaces();
            } while (consume(","));
            if (pos != text.length()) {
                throw error("unexpected input");
            }
            // One label equality is enough to look a filter's matches up: they all carry it.
            Optional<List<Label>> labels = selectors.stream().map(Selector::label).flatMap(Optional::stream)
                    .findFirst().map(List::of);
            return new InfoFilter(info -> selectors.stream().allMatch(s -> s.test(info)), labels);
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
