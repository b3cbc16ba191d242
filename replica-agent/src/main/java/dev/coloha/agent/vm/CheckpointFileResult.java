package dev.coloha.agent.vm;

/**
 * Outcome of a capture to, or an apply from, a checkpoint file.
 *
 * @param vm VM id
 * @param file file name under the agent's checkpoint directory
 * @param sequence checkpoint number
 * @param baseSequence base of a delta, -1 for a full checkpoint
 * @param pages 4 KiB pages carried
 * @param bytes file size
 * @param pauseMicros how long the VM was paused (capture: copy; apply: restore)
 * @param totalMicros whole operation including file I/O
 */
public record CheckpointFileResult(
    String vm,
    String file,
    long sequence,
    long baseSequence,
    int pages,
    long bytes,
    double pauseMicros,
    double totalMicros) {}
