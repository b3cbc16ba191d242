package dev.coloha.agent.standalone;

/**
 * Flow-control limits of one standalone listener.
 *
 * @param readBuffer bytes read from a client at a time
 * @param inputHighWatermark unconsumed input above which the client is not read
 * @param outputHighWatermark queued output above which the guest's input for that client is held
 * @param outputLowWatermark queued output below which it resumes
 */
public record StandaloneLimits(
    int readBuffer, long inputHighWatermark, long outputHighWatermark, long outputLowWatermark) {}
