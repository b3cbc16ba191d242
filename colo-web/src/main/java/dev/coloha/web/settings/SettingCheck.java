package dev.coloha.web.settings;

import java.time.Duration;
import org.springframework.util.unit.DataSize;

/**
 * The checks a service makes of its {@code *Properties} while it maps them into its domain's
 * settings at start-up: a value that cannot work fails the start with an {@link
 * InvalidSettingException} naming the property (as written in configuration, e.g. {@code
 * colo.agent.vm.max-memory}) and the value.
 */
public final class SettingCheck {
  private SettingCheck() {}

  /** {@code value} bytes, above zero and within an {@code int} (a buffer's or frame's size). */
  public static int intBytes(String property, DataSize value) {
    long bytes = positive(property, value);
    if (bytes > Integer.MAX_VALUE) {
      throw new InvalidSettingException(property, value, "must be at most 2GB");
    }
    return (int) bytes;
  }

  /** {@code value} in bytes, above zero. */
  public static long positive(String property, DataSize value) {
    if (value == null || value.toBytes() <= 0) {
      throw new InvalidSettingException(property, value, "must be above 0");
    }
    return value.toBytes();
  }

  /** {@code value} in bytes, zero or above. */
  public static long notNegative(String property, DataSize value) {
    if (value == null || value.toBytes() < 0) {
      throw new InvalidSettingException(property, value, "must not be negative");
    }
    return value.toBytes();
  }

  /** {@code value}, a duration above zero. */
  public static Duration positive(String property, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new InvalidSettingException(property, value, "must be a duration above 0");
    }
    return value;
  }

  /** {@code value}, a duration of zero or more. */
  public static Duration notNegative(String property, Duration value) {
    if (value == null || value.isNegative()) {
      throw new InvalidSettingException(property, value, "must not be negative");
    }
    return value;
  }

  /** {@code value}, at least {@code min}. */
  public static int atLeast(String property, int value, int min) {
    if (value < min) {
      throw new InvalidSettingException(property, value, "must be at least " + min);
    }
    return value;
  }

  /**
   * Fails unless {@code value} (of {@code property}) is at most {@code bound} (of {@code other}).
   */
  public static void notAbove(String property, Object value, long v, String other, long bound) {
    if (v > bound) {
      throw new InvalidSettingException(property, value, "must not be above " + other);
    }
  }

  /** Fails unless {@code value} (of {@code property}) is below {@code bound} (of {@code other}). */
  public static void below(String property, Object value, long v, String other, long bound) {
    if (v >= bound) {
      throw new InvalidSettingException(property, value, "must be below " + other);
    }
  }
}
