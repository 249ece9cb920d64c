package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A seeded random mutator (byte flips, truncations, TOC text edits) over valid layers: the reader must either
 * succeed or throw an {@link IOException}; never another exception, a hang or an out-of-memory.
 */
class ReaderFuzzTest {

    private static final int ROUNDS = 1500;

    @ParameterizedTest
    @EnumSource(LayerFormat.class)
    void mutatedBlobsFailCleanly(LayerFormat format) throws Exception {
        SourceTree tree = new SourceTree().dir("d/", 0755).file("d/a", "alpha".getBytes(StandardCharsets.UTF_8), 0644)
                .file("d/b", SourceTree.bytes(new Random(3), 3000), 0644).hardlink("d/c", "d/a").symlink("s", "d/a");
        byte[] valid = Layers.convert(LayerConverter.builder().format(format).chunkSize(1024).build(), tree.tar())
                .blob();
        Random random = new Random(format.ordinal() * 7919L);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] mutated = mutate(valid, random, format);
                try {
                    readEverything(mutated);
                } catch (IOException expected) {
                    // a clean refusal
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("round " + round + " escaped with " + e, e);
                }
            }
        });
    }

    private static byte[] mutate(byte[] valid, Random random, LayerFormat format) throws IOException {
        byte[] b = valid.clone();
        switch (random.nextInt(format == LayerFormat.ESTARGZ ? 5 : 4)) {
            case 0 -> { // flip bytes anywhere
                for (int i = 1 + random.nextInt(4); i > 0; i--) {
                    b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> { // flip bytes in the footer/TOC tail
                for (int i = 1 + random.nextInt(3); i > 0; i--) {
                    b[b.length - 1 - random.nextInt(Math.min(b.length, 400))] = (byte) random.nextInt(256);
                }
            }
            case 2 -> b = Arrays.copyOf(b, random.nextInt(b.length)); // truncate
            case 3 -> { // cut a piece out of the middle, keeping the footer
                int from = random.nextInt(b.length - 60);
                int len = 1 + random.nextInt(Math.min(500, b.length - 60 - from));
                byte[] cut = new byte[b.length - len];
                System.arraycopy(b, 0, cut, 0, from);
                System.arraycopy(b, from + len, cut, from, b.length - from - len);
                b = cut;
            }
            default -> { // edit the TOC text and re-wrap it validly
                byte[] json = new TocReader().read(new RecordingBlob(valid)).json();
                for (int i = 1 + random.nextInt(3); i > 0; i--) {
                    int at = random.nextInt(json.length);
                    json[at] = (byte) "0123456789-\"{}[],:.ab/".charAt(random.nextInt(22));
                }
                b = Crafted.withToc(valid, json);
            }
        }
        return b;
    }

    static void readEverything(byte[] blob) throws IOException {
        EstargzLayer layer = EstargzLayer.open(new RecordingBlob(blob), Map.of());
        for (TocEntry e : layer.toc().entries()) {
            layer.toc().children(e);
            TocEntry target = layer.toc().resolve(e);
            if (target.type() == EntryType.REG && target.size() < (1 << 20)) {
                Layers.readAll(layer, target);
            }
        }
    }
}
