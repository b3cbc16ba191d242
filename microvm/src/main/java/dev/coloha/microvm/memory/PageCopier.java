package dev.coloha.microvm.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a loop over many pages (checkpoint capture and apply copy hundreds of megabytes) on the
 * calling thread and, when the batch is large, on helper threads too: a memory copy of 200 MB is
 * 20-40 ms on one core. Slices are disjoint ranges of the page list; the caller returns only once
 * every slice is done, so the copies happen-before whatever the caller does next.
 */
public final class PageCopier {
  /** Pages a slice gets at least (4 MiB): below that a hand-off costs more than it saves. */
  public static final int MIN_PAGES_PER_SLICE = 1024;

  private static final PageCopier SHARED =
      new PageCopier(Math.min(3, Runtime.getRuntime().availableProcessors() - 1));

  /** One range of a page loop: indices {@code from} (inclusive) to {@code to} (exclusive). */
  @FunctionalInterface
  public interface Slice {
    void run(int from, int to);
  }

  private final int helpers;
  private final ExecutorService pool;

  /**
   * @param helpers helper threads besides the caller (0: everything on the caller)
   */
  public PageCopier(int helpers) {
    this.helpers = Math.max(0, helpers);
    this.pool =
        this.helpers == 0
            ? null
            : Executors.newFixedThreadPool(
                this.helpers, Thread.ofPlatform().daemon().name("page-copy-", 0).factory());
  }

  /** The process-wide copier: up to 3 helpers, one fewer than the cores. */
  public static PageCopier shared() {
    return SHARED;
  }

  public int helpers() {
    return helpers;
  }

  /** Runs {@code body} over {@code [0, count)} in slices; rethrows the first failure. */
  public void forEachSlice(int count, Slice body) {
    int slices = Math.min(helpers + 1, count / MIN_PAGES_PER_SLICE);
    if (slices <= 1) {
      body.run(0, count);
      return;
    }
    int per = (count + slices - 1) / slices;
    List<Future<?>> running = new ArrayList<>(slices - 1);
    for (int s = 1; s < slices; s++) {
      int from = s * per;
      int to = Math.min(count, from + per);
      running.add(pool.submit(() -> body.run(from, to)));
    }
    RuntimeException failure = null;
    try {
      body.run(0, per);
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<?> f : running) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure =
              e.getCause() instanceof RuntimeException re
                  ? re
                  : new IllegalStateException(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = new IllegalStateException("interrupted while copying pages", e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
