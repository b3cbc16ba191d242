package dev.coloha.agent.replication;

import dev.coloha.microvm.LivePrecopy;
import dev.coloha.microvm.MicroVm;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.replication.ReplicationFrame;
import java.io.IOException;

/**
 * One round of a live pre-copy: reads a VM's pages racily while it runs and sends them as PRECOPY
 * frames, a run of consecutive pages per frame. A page the VM writes meanwhile may go torn, but it
 * is dirty again and goes again in a later round (or in the final, paused one).
 */
final class PrecopySender implements LivePrecopy.RoundSender {
  /** Where the frames go (the link's stream). */
  interface FrameSink {
    void send(ReplicationFrame frame) throws IOException;
  }

  private final MicroVm vm;
  private final int batch;
  private final FrameSink sink;

  /**
   * @param batchPages most pages per frame (the smaller of the pre-copy batch and the stream's run
   *     limit)
   */
  PrecopySender(MicroVm vm, int batchPages, FrameSink sink) {
    this.vm = vm;
    this.batch = batchPages;
    this.sink = sink;
  }

  /**
   * Sends round {@code round}: the pages listed (ascending), or all of them when {@code pages} is
   * null. Returns the number of pages sent.
   */
  @Override
  public long send(int memoryPages, int[] pages, int round) throws IOException {
    int total = pages == null ? memoryPages * Checkpoint.PAGES_PER_WASM_PAGE : pages.length;
    byte[] buf = new byte[batch * Checkpoint.PAGE_SIZE];
    long sent = 0;
    int i = 0;
    while (i < total) {
      int first = pages == null ? i : pages[i];
      int n = 0;
      while (i < total && n < batch && (pages == null ? i : pages[i]) == first + n) {
        int page = pages == null ? i : pages[i];
        if (!vm.readPageRacy(page, buf, n * Checkpoint.PAGE_SIZE)) {
          break;
        }
        n++;
        i++;
      }
      if (n == 0) {
        i++; // beyond the memory now: the final round settles the size
        continue;
      }
      sink.send(
          new ReplicationFrame.Precopy(
              round, Math.max(memoryPages, vm.memoryPagesRacy()), first, n, buf, 0));
      sent += n;
    }
    return sent;
  }
}
