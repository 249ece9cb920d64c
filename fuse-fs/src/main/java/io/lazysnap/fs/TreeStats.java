package io.lazysnap.fs;

/**
 * What mounted layers' TOCs and inode tables take of the heap ({@link LayerFsOptions.Builder#treeMemory}).
 *
 * @param bytes       estimated heap of the trees loaded now
 * @param budgetBytes what they may take while none is in use beyond it
 * @param drops       trees dropped to stay within the budget
 * @param reopens     dropped trees opened again for a use of their layer
 */
public record TreeStats(long bytes, long budgetBytes, long drops, long reopens) {
}
