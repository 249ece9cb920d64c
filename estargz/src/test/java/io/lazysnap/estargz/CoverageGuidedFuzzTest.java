package io.lazysnap.estargz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Jazzer, guided by coverage, feeds the footer, TOC and tar readers inputs of its own making: each must be read or
 * refused with an {@link IOException}, never another exception, a hang or an out-of-memory. {@code mvn verify}
 * replays the checked-in inputs ({@code src/test/resources/.../CoverageGuidedFuzzTestInputs}) and then fuzzes for a
 * bounded time (the {@code fuzz} execution in this module's pom); an input that fails is written there to be kept.
 */
class CoverageGuidedFuzzTest {

    @FuzzTest(maxDuration = "40s")
    void layersAreReadOrRefusedCleanly(byte[] blob) {
        try {
            ReaderFuzzTest.readEverything(blob);
        } catch (IOException refused) {
            // a clean refusal
        }
    }

    /** The tar reader, through the converter (what {@code lazysnap convert} and a TOC's verification run). */
    @FuzzTest(maxDuration = "20s")
    void tarsAreConvertedOrRefusedCleanly(byte[] tar) {
        try {
            LayerConverter.builder().chunkSize(1024).build().convert(new ByteArrayInputStream(tar),
                    OutputStream.nullOutputStream());
        } catch (IOException refused) {
            // a clean refusal
        }
    }
}
