package dev.coloha.agent.replication;

import dev.coloha.wire.testing.ArmedFaults;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named fault points of the checkpoint link, armed only by tests ({@code
 * colo.agent.testing.link-faults}: {@code POINT@VM}, e.g. {@code link-before-ack@p1}; {@link
 * ArmedFaults}). An armed point fires once, the first time the VM's link passes it: the checkpoint
 * stream breaks there as if the network had failed. Disarmed ({@link #NONE}) in normal operation.
 */
public final class LinkFaults {
  /** The primary captured a checkpoint and is about to send its first byte. */
  public static final String BEFORE_SEND = "link-before-send";

  /**
   * The primary received the secondary's ACK of a checkpoint and has not handled it yet (the ACK is
   * lost: the secondary holds a checkpoint the primary does not know was applied).
   */
  public static final String BEFORE_ACK = "link-before-ack";

  /**
   * The secondary, which holds a checkpoint already (the initial sync is done), received a whole
   * checkpoint and is about to apply it.
   */
  public static final String SECONDARY_APPLY = "secondary-apply";

  /** Every point. */
  public static final Set<String> POINTS = Set.of(BEFORE_SEND, BEFORE_ACK, SECONDARY_APPLY);

  /** No point armed. */
  public static final LinkFaults NONE = new LinkFaults(ArmedFaults.NONE);

  private static final Logger log = LoggerFactory.getLogger(LinkFaults.class);

  private final ArmedFaults armed;

  private LinkFaults(ArmedFaults armed) {
    this.armed = armed;
  }

  /**
   * The points armed by {@code POINT@VM} entries (none: {@link #NONE}).
   *
   * @throws IllegalArgumentException for an entry that names no point or no VM
   */
  public static LinkFaults of(List<String> entries) {
    ArmedFaults a = ArmedFaults.of("colo.agent.testing.link-faults", POINTS, entries);
    return a == ArmedFaults.NONE ? NONE : new LinkFaults(a);
  }

  /** Whether {@code point} is armed for {@code vm} (it has not fired yet). */
  public boolean armed(String point, String vm) {
    return armed.armed(point, vm);
  }

  /**
   * The link of {@code vm} passes {@code point}: if it is armed, it fires (once).
   *
   * @throws InjectedFault when it fires
   */
  void reached(String point, String vm) throws InjectedFault {
    if (armed.fire(point, vm)) {
      log.warn("fault injection: VM {}: the checkpoint stream breaks at {}", vm, point);
      throw new InjectedFault(point);
    }
  }

  /** The stream "broke" at a fault point. */
  static final class InjectedFault extends IOException {
    InjectedFault(String point) {
      super("fault injected at " + point);
    }
  }
}
