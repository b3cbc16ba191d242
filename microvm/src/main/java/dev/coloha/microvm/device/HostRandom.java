package dev.coloha.microvm.device;

import java.security.SecureRandom;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/** The host's random source as a guest sees it. Each replica has its own. */
public interface HostRandom {
  void fill(byte[] dst);

  /** A fast generator seeded from the OS entropy source, one per VM. */
  static HostRandom system() {
    RandomGenerator g =
        RandomGeneratorFactory.of("L64X128MixRandom").create(new SecureRandom().nextLong());
    return g::nextBytes;
  }
}
