package dev.coloha.proxy.compare;

import dev.coloha.proxy.compare.SecondaryOutput.Segment;

/**
 * A connection's {@link Mismatch} as reported: where the outputs diverged (or what waited too
 * long), a sample of each side, and the forensic capture around the divergence.
 */
final class MismatchReport {
  private MismatchReport() {}

  /**
   * @param at the stream offset of the divergence
   * @param s the secondary's segment compared, or null
   * @param continueCapture whether the capture goes on recording what follows (the connection is
   *     held) or is closed at once
   */
  static Mismatch of(
      ConnectionOutput c,
      MismatchKind kind,
      long at,
      Segment s,
      String detail,
      boolean continueCapture) {
    OutputComparator g = c.g;
    ChunkQueue sq = s == null ? null : s.bytes;
    Capture capture =
        g.settings.forensicSide() > 0
            ? Capture.start(at, (int) g.settings.forensicSide(), c.recent, c.p, sq)
            : null;
    if (capture != null && continueCapture) {
      c.capture = capture;
    } else if (capture != null) {
      capture.close();
    }
    return new Mismatch(
        kind,
        c.conn,
        g.compareInterval,
        at,
        c.pNext,
        s == null ? at : s.next,
        c.p.copy(at, g.settings.sampleSize()),
        sq == null ? new byte[0] : sq.copy(at, g.settings.sampleSize()),
        detail,
        capture);
  }

  /** One side stayed ahead (or a close waited) for longer than the compare timeout. */
  static Mismatch timeout(ConnectionOutput c, long now) {
    OutputComparator g = c.g;
    Segment s = c.compareSegment();
    boolean closing = c.pClosedAt >= 0 || (s != null && s.closedAt >= 0);
    String side =
        !c.p.isEmpty() && c.p.peek().interval > g.compareInterval
            ? "the primary's output of interval "
                + c.p.peek().interval
                + " waits for the commit of "
                + g.compareInterval
            : (s == null || s.bytes.isEmpty()) && !c.p.isEmpty()
                ? "the primary is ahead"
                : "the secondary is ahead";
    return of(
        c,
        closing ? MismatchKind.CLOSE : MismatchKind.TIMEOUT,
        c.released,
        s,
        side + " for " + (now - c.pendingSince) / 1_000_000 + " ms",
        false);
  }
}
