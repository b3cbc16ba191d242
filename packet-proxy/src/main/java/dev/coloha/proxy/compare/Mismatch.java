package dev.coloha.proxy.compare;

/**
 * Where and how one connection's primary and secondary output diverged.
 *
 * @param kind what differed
 * @param conn connection id
 * @param interval output interval in which it happened
 * @param offset output offset of the divergence (for a timeout: where comparison stands)
 * @param primaryEnd primary output received so far (offset just past its last byte)
 * @param secondaryEnd secondary output of this interval received so far
 * @param primarySample up to the sample size of the primary's bytes from {@code offset}
 * @param secondarySample the same for the secondary
 * @param detail one line for people
 * @param capture the forensic window (null when forensics are off)
 */
public record Mismatch(
    MismatchKind kind,
    int conn,
    long interval,
    long offset,
    long primaryEnd,
    long secondaryEnd,
    byte[] primarySample,
    byte[] secondarySample,
    String detail,
    Capture capture) {}
