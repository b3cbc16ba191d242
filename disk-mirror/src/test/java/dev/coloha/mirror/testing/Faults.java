package dev.coloha.mirror.testing;

import dev.coloha.mirror.volume.FaultPoint;

/** A fault point a test arms and disarms while the volume runs. */
public final class Faults implements FaultPoint {
  private volatile String armed;

  public void arm(String point) {
    armed = point;
  }

  public void disarm() {
    armed = null;
  }

  @Override
  public boolean armed(String point) {
    return point.equals(armed);
  }

  @Override
  public void reached(String point) {
    if (point.equals(armed)) {
      armed = null;
      throw new SimulatedCrash(point);
    }
  }
}
