package dev.coloha.microvm;

import java.io.IOException;

/**
 * The live rounds of an initial sync: every page is copied while the VM runs, then the pages it
 * wrote meanwhile, round after round, until a round would be small (or the rounds run out). The
 * caller then captures the final round ({@code CaptureKind.PRECOPY_FINAL}) in the only pause.
 *
 * <p>A round's pages are taken (and forgotten by the dirty tracking) only when they are sent: the
 * final capture carries just the pages written since the last round taken, so a set of dirty pages
 * taken and then not sent would be lost to the secondary (its copy of them would be the older one
 * from an earlier round). The decision to stop looks at the count without taking it.
 */
public final class LivePrecopy {
  private LivePrecopy() {}

  /** Sends one round: all pages ({@code pages} null) or those listed, read racily. */
  @FunctionalInterface
  public interface RoundSender {
    /** Returns the number of pages sent. */
    long send(int memoryPages, int[] pages, int round) throws IOException;
  }

  /**
   * @param rounds live rounds sent (the first, whole one included)
   * @param pagesSent pages sent over all of them
   */
  public record Result(int rounds, long pagesSent) {}

  /**
   * Runs the live rounds: round 0 sends every page, each later one the pages written since the
   * round before, while more than {@code thresholdPages} are dirty and fewer than {@code maxRounds}
   * rounds were sent.
   */
  public static Result run(MicroVm vm, RoundSender sender, int maxRounds, int thresholdPages)
      throws IOException {
    long sent = sender.send(vm.beginPrecopy(), null, 0);
    int rounds = 1;
    while (rounds < maxRounds && vm.precopyDirtyCount() > thresholdPages) {
      sent += sender.send(vm.memoryPagesRacy(), vm.precopyRound(), rounds);
      rounds++;
    }
    return new Result(rounds, sent);
  }
}
