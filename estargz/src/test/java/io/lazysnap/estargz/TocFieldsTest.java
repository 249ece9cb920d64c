package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

/** Names and times of TOC entries, on the fast paths that skip copying and the formatter, and off them. */
class TocFieldsTest {

    @Test
    void namesAreCleanedTheSameWithOrWithoutACopy() throws LayerFormatException {
        String[][] cases = {{"a", "a"}, {"a/b/c", "a/b/c"}, {".x/..y/z.", ".x/..y/z."}, {"a/", "a"}, {"a//b", "a/b"},
            {"./a", "a"}, {"a/./b", "a/b"}, {"./", ""}, {".", ""}, {"a/.", "a"}, {"...", "..."}};
        for (String[] c : cases) {
            assertEquals(c[1], EntryPaths.clean(c[0]), c[0]);
        }
        for (String escaping : new String[] {"..", "a/..", "../a", "a/../b", "/a", "a\0b", ""}) {
            assertThrows(LayerFormatException.class, () -> EntryPaths.clean(escaping), escaping);
        }
    }

    @Test
    void timesParseAsTheRfc3339FormatterParsesThem() throws LayerFormatException {
        for (String t : new String[] {"2023-01-02T03:04:05Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z",
            "2023-01-02T03:04:05.123456789Z", "2023-01-02T03:04:05+02:00", "9999-12-31T23:59:59Z"}) {
            assertEquals(OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant(),
                    TocJson.parseTime(t), t);
        }
        assertEquals(Instant.EPOCH, TocJson.parseTime(null));
        for (String bad : new String[] {"2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z", "2023-01-02T24:00:00Z",
            "2023-01-02 03:04:05Z", "2023-0a-02T03:04:05Z", "yesterday"}) {
            assertThrows(LayerFormatException.class, () -> TocJson.parseTime(bad), bad);
        }
    }

    @Test
    void paxTimesAreDecimalsWithoutExponents() {
        for (String ok : new String[] {"0", "1700000000", "-1", "1700000000.123456789", "12.5"}) {
            assertEquals(true, TarReader.isPaxDecimal(ok), ok);
        }
        for (String bad : new String[] {"1e400000000", "1E5", "", "-", ".5", "5.", "1.2.3", "+5", "0x10", "1 ",
            "1".repeat(41)}) {
            assertEquals(false, TarReader.isPaxDecimal(bad), bad);
        }
    }

    @Test
    void sha256DigestsAreSha256AndSixtyFourLowercaseHexDigits() {
        String hex = "0123456789abcdef".repeat(4);
        assertEquals("sha256:" + hex, Sha256.parse("sha256:" + hex).toString());
        for (String bad : new String[] {null, "", "sha256:", "sha256:" + hex.substring(1), "sha256:" + hex + "0",
            "sha256:" + hex.toUpperCase(java.util.Locale.ROOT), "sha512:" + hex, "sha256:" + hex.replace('a', 'g'),
            "SHA256:" + hex}) {
            assertEquals(null, Sha256.parse(bad), bad);
        }
    }
}
