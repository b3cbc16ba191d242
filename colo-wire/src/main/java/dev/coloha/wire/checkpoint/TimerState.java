package dev.coloha.wire.checkpoint;

/**
 * An armed guest timer at a pause.
 *
 * @param id timer id chosen by the guest
 * @param remainingNanos time left until it fires, on the capturing host's monotonic clock
 */
public record TimerState(int id, long remainingNanos) {}
