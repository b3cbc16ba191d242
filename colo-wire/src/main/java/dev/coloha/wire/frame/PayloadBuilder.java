package dev.coloha.wire.frame;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Growable big-endian byte builder for frame payloads. */
public final class PayloadBuilder {
  private byte[] buf;
  private int size;

  public PayloadBuilder() {
    this(64);
  }

  public PayloadBuilder(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public PayloadBuilder u8(int v) {
    ensure(1);
    buf[size++] = (byte) v;
    return this;
  }

  public PayloadBuilder u16(int v) {
    ensure(2);
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
    return this;
  }

  public PayloadBuilder i32(int v) {
    ensure(4);
    buf[size++] = (byte) (v >>> 24);
    buf[size++] = (byte) (v >>> 16);
    buf[size++] = (byte) (v >>> 8);
    buf[size++] = (byte) v;
    return this;
  }

  public PayloadBuilder i64(long v) {
    i32((int) (v >>> 32));
    return i32((int) v);
  }

  public PayloadBuilder bytes(byte[] b) {
    return bytes(b, 0, b.length);
  }

  public PayloadBuilder bytes(byte[] b, int offset, int length) {
    ensure(length);
    System.arraycopy(b, offset, buf, size, length);
    size += length;
    return this;
  }

  public PayloadBuilder utf8(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xffff) {
      throw new IllegalArgumentException("string too long for a frame: " + b.length + " bytes");
    }
    u16(b.length);
    return bytes(b);
  }

  public int size() {
    return size;
  }

  public byte[] array() {
    return buf;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  public PayloadBuilder reset() {
    size = 0;
    return this;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
