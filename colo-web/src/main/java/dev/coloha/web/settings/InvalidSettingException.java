package dev.coloha.web.settings;

/** A configuration property whose value cannot work: the service does not start. */
public final class InvalidSettingException extends IllegalArgumentException {
  private final String property;

  public InvalidSettingException(String property, Object value, String why) {
    super(property + "=" + value + ": " + why);
    this.property = property;
  }

  /** The property, as written in configuration (e.g. {@code colo.agent.vm.max-memory}). */
  public String property() {
    return property;
  }
}
