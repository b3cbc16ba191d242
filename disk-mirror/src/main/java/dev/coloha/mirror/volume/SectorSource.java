package dev.coloha.mirror.volume;

import java.io.IOException;

/** What a read falls through to: the base image, or the committed writes over it. */
@FunctionalInterface
interface SectorSource {
  void read(long offset, byte[] dst, int dstOffset, int length) throws IOException;
}
