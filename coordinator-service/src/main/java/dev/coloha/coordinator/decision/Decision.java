package dev.coloha.coordinator.decision;

import java.util.List;

/**
 * What the machine decided: the next situation and the actions to run, in order. An action that
 * calls another service reports its outcome as a new {@link Signal}, decided in turn.
 */
public record Decision(Situation next, List<Action> actions) {
  public Decision {
    actions = List.copyOf(actions);
  }

  static Decision stay(Situation s) {
    return new Decision(s, List.of());
  }

  static Decision of(Situation s, Action... actions) {
    return new Decision(s, List.of(actions));
  }
}
