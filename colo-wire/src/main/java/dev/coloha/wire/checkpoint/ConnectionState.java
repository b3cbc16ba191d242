package dev.coloha.wire.checkpoint;

/**
 * Host-side state of one guest connection at a pause.
 *
 * @param id connection id
 * @param opened whether the guest has seen colo_on_open
 * @param guestClosed whether the guest called colo_close
 * @param inputConsumed input bytes delivered to the guest so far
 * @param outputProduced output bytes the guest has sent so far
 */
public record ConnectionState(
    int id, boolean opened, boolean guestClosed, long inputConsumed, long outputProduced) {}
