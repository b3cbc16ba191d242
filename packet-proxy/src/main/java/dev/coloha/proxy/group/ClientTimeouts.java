package dev.coloha.proxy.group;

import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.ingress.Gate;
import dev.coloha.proxy.metrics.GroupMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * When the proxy ends a client connection itself: slow clients ({@code
 * colo.proxy.client.max-unanswered}, {@code first-reply-timeout}), idle ones ({@code idle-timeout})
 * and those that closed their side and whose output went quiet ({@code linger}).
 */
final class ClientTimeouts {
  private final ProxySettings.Client cfg;
  private final Map<Integer, ClientConnection> clients;
  private final OutputComparator comparator;
  private final Gate groupGate;
  private final GroupMetrics metrics;

  ClientTimeouts(
      ProxySettings.Client cfg,
      Map<Integer, ClientConnection> clients,
      OutputComparator comparator,
      Gate groupGate,
      GroupMetrics metrics) {
    this.cfg = cfg;
    this.clients = clients;
    this.comparator = comparator;
    this.groupGate = groupGate;
    this.metrics = metrics;
  }

  /**
   * At most colo.proxy.client.max-unanswered connections of the group wait for their first reply:
   * above it the oldest of them is closed (slow clients that never finish a request cannot hold the
   * group's connection slots).
   */
  void evictUnanswered(ClientConnection fresh) {
    int max = cfg.maxUnanswered();
    List<ClientConnection> waiting = new ArrayList<>();
    for (ClientConnection c : clients.values()) {
      if (!c.over() && !c.answered()) {
        waiting.add(c);
      }
    }
    if (waiting.size() <= max) {
      return;
    }
    waiting.sort(Comparator.comparingLong(ClientConnection::acceptedAt));
    for (int i = 0; i < waiting.size() - max; i++) {
      ClientConnection old = waiting.get(i);
      if (old != fresh) {
        metrics.slowClient();
        old.finish("more than " + max + " connections wait for a first reply");
      }
    }
  }

  /** The checks of one tick of the group, in this order: linger, then idle and first reply. */
  void check(long now) {
    lingerCheck(now);
    idleCheck(now);
  }

  /** Closes clients that closed their side once their output has been quiet for a while. */
  private void lingerCheck(long now) {
    long linger = cfg.linger().toNanos();
    for (ClientConnection c : clients.values()) {
      if (c.inputClosed()
          && now - Math.max(c.inputClosedAt(), c.lastOutputAt()) > linger
          && c.unsent() == 0
          && comparator.buffered(c.id()) == 0) {
        c.finish("closed by the client");
      }
    }
  }

  /**
   * Closes connections idle for colo.proxy.client.idle-timeout (nothing read, written or queued,
   * and not paused by the proxy itself) and those without a first reply after
   * colo.proxy.client.first-reply-timeout.
   */
  private void idleCheck(long now) {
    long idle = cfg.idleTimeout().toNanos();
    long firstReply = cfg.firstReplyTimeout().toNanos();
    for (ClientConnection c : clients.values()) {
      if (c.over()) {
        continue;
      }
      if (!c.answered() && now - c.acceptedAt() > firstReply) {
        metrics.slowClient();
        c.finish("no reply within colo.proxy.client.first-reply-timeout");
      } else if (now - c.lastActivityAt() > idle
          && c.unsent() == 0
          && c.gate().isOpen()
          && groupGate.isOpen()
          && comparator.buffered(c.id()) == 0) {
        metrics.slowClient();
        c.finish("idle for colo.proxy.client.idle-timeout");
      }
    }
  }
}
