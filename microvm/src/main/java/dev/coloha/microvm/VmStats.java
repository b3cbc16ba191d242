package dev.coloha.microvm;

import dev.coloha.api.agent.VmState;

/**
 * Figures of one VM at an event boundary.
 *
 * @param state lifecycle state
 * @param memoryPages linear memory in 64 KiB pages
 * @param trackPages linear memory in 4 KiB pages
 * @param dirtyPages 4 KiB pages written since the last capture
 * @param events guest calls made
 * @param guestNanos time spent in guest code
 * @param connections open connections
 * @param timers armed timers
 * @param interval current output interval
 * @param lastCheckpoint last captured or applied checkpoint, -1 if none
 * @param bufferedInput input bytes held (not yet delivered, or journaled)
 * @param inputErrors input events refused
 * @param diskErrors failed disk operations
 * @param crash why the guest crashed, or null
 */
public record VmStats(
    VmState state,
    int memoryPages,
    int trackPages,
    int dirtyPages,
    long events,
    long guestNanos,
    int connections,
    int timers,
    long interval,
    long lastCheckpoint,
    long bufferedInput,
    long inputErrors,
    long diskErrors,
    String crash) {

  static VmStats stopped(VmState state, long events, long guestNanos, long inputErrors) {
    return new VmStats(state, 0, 0, 0, events, guestNanos, 0, 0, 0, -1, 0, inputErrors, 0, null);
  }
}
