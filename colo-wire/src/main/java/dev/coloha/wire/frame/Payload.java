package dev.coloha.wire.frame;

import dev.coloha.wire.CorruptStreamException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Big-endian reader over one frame payload. Every read is bounds-checked: running past the end is a
 * {@link CorruptStreamException}, never an index error.
 */
public final class Payload {
  private final ByteBuffer buf;

  public Payload(byte[] bytes) {
    this.buf = ByteBuffer.wrap(bytes);
  }

  public int u8() {
    try {
      return buf.get() & 0xff;
    } catch (BufferUnderflowException e) {
      throw truncated();
    }
  }

  public int u16() {
    try {
      return buf.getShort() & 0xffff;
    } catch (BufferUnderflowException e) {
      throw truncated();
    }
  }

  public int i32() {
    try {
      return buf.getInt();
    } catch (BufferUnderflowException e) {
      throw truncated();
    }
  }

  /** An unsigned 32-bit count that must not exceed {@code max}. */
  public int count(String what, int max) {
    int n = i32();
    if (n < 0 || n > max) {
      throw new CorruptStreamException(
          what + " count " + Integer.toUnsignedString(n) + " > " + max);
    }
    return n;
  }

  public long i64() {
    try {
      return buf.getLong();
    } catch (BufferUnderflowException e) {
      throw truncated();
    }
  }

  public byte[] bytes(int length) {
    if (length < 0 || length > buf.remaining()) {
      throw truncated();
    }
    byte[] out = new byte[length];
    buf.get(out);
    return out;
  }

  public String utf8(int maxLength) {
    int length = u16();
    if (length > maxLength) {
      throw new CorruptStreamException("string of " + length + " bytes > " + maxLength);
    }
    return new String(bytes(length), StandardCharsets.UTF_8);
  }

  public int remaining() {
    return buf.remaining();
  }

  /** Fails unless every byte was consumed: trailing garbage is corruption too. */
  public void end() {
    if (buf.hasRemaining()) {
      throw new CorruptStreamException(buf.remaining() + " unexpected trailing bytes in frame");
    }
  }

  private CorruptStreamException truncated() {
    return new CorruptStreamException("frame payload truncated");
  }
}
