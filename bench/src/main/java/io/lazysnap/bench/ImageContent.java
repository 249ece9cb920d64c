package io.lazysnap.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * What an image is made of before encoding: one directory per layer (bottom first), the container's command and
 * environment, and the workload: the paths the command reads before its first line, which eStargz puts before
 * the prefetch landmark.
 */
record ImageContent(List<Path> layers, List<String> cmd, List<String> env, List<String> workload) {
}
