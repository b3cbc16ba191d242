package dev.coloha.proxy.event;

import dev.coloha.proxy.compare.Mismatch;
import java.time.Instant;

/**
 * A mismatch in a group's history.
 *
 * @param id its id (also the event's {@code mismatch})
 * @param time when it was found
 * @param mismatch what was found, with its forensic capture
 * @param nanosToEpochMicros add to {@code System.nanoTime() / 1000} to get wall-clock microseconds
 */
public record MismatchRecord(
    long id, String group, Instant time, Mismatch mismatch, long nanosToEpochMicros) {}
