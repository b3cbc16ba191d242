package dev.coloha.coordinator.hosts;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Chooses hosts for replicas: live, not excluded, least loaded first, never both on one host. */
public final class Placement {
  private Placement() {}

  /**
   * @param live candidate hosts
   * @param groups every group (their replicas count as load)
   * @param exclude hosts that must not be chosen (e.g. the other replica's host)
   */
  public static Optional<Host> choose(
      List<Host> live, Collection<Group> groups, Set<String> exclude) {
    Map<String, Long> load =
        groups.stream()
            .flatMap(g -> g.hosts().stream())
            .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    return live.stream()
        .filter(h -> !exclude.contains(h.name()))
        .min(
            Comparator.comparing((Host h) -> load.getOrDefault(h.name(), 0L))
                .thenComparing(Host::name));
  }
}
