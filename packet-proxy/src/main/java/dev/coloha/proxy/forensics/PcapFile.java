package dev.coloha.proxy.forensics;

import dev.coloha.proxy.compare.Capture;
import dev.coloha.proxy.event.MismatchRecord;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV4Rfc791Tos;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.EtherType;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.packet.namednumber.TcpPort;
import org.pcap4j.util.MacAddress;

/**
 * A mismatch's forensic window as a classic libpcap file (Ethernet link type) that Wireshark and
 * tshark open: two TCP flows, primary to client and secondary to client, whose sequence numbers are
 * the output offsets (low 32 bits). The bytes both replicas produced identically before the
 * divergence appear in both flows, then each replica's own bytes from the divergence on. Packets
 * are built with pcap4j (headers, lengths, checksums); the file container is written here, so no
 * native libpcap is needed. Addresses are from TEST-NET-1 (RFC 5737): client 192.0.2.1, primary
 * 192.0.2.10, secondary 192.0.2.20; the server port is the group's listen port.
 */
public final class PcapFile {
  static final int MAX_SEGMENT = 1400;
  private static final Inet4Address CLIENT = ip(1);
  private static final Inet4Address PRIMARY = ip(10);
  private static final Inet4Address SECONDARY = ip(20);
  private static final MacAddress CLIENT_MAC = MacAddress.getByName("02:00:00:00:00:01");
  private static final MacAddress PRIMARY_MAC = MacAddress.getByName("02:00:00:00:00:0a");
  private static final MacAddress SECONDARY_MAC = MacAddress.getByName("02:00:00:00:00:14");

  private PcapFile() {}

  private static Inet4Address ip(int last) {
    try {
      return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private record Frame(long micros, byte[] data) {}

  /** The .pcap bytes of one mismatch. */
  public static byte[] of(MismatchRecord r, int serverPort) {
    Capture.Window w = r.mismatch().capture() == null ? null : r.mismatch().capture().window();
    List<Frame> frames = new ArrayList<>();
    int clientPort = 40000 + (r.mismatch().conn() % 20000);
    short id = 1;
    if (w != null) {
      for (boolean primary : new boolean[] {true, false}) {
        List<Capture.Run> runs = new ArrayList<>(w.before());
        runs.addAll(primary ? w.primary() : w.secondary());
        for (Capture.Run run : runs) {
          for (int at = 0; at < run.bytes().length; at += MAX_SEGMENT) {
            int n = Math.min(MAX_SEGMENT, run.bytes().length - at);
            byte[] payload = new byte[n];
            System.arraycopy(run.bytes(), at, payload, 0, n);
            long micros = run.arrivalNanos() / 1000 + r.nanosToEpochMicros();
            frames.add(
                new Frame(
                    micros,
                    segment(primary, serverPort, clientPort, run.offset() + at, payload, id++)));
          }
        }
      }
    }
    frames.sort(Comparator.comparingLong(Frame::micros));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer head = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0);
    head.putInt(65535).putInt(1); // snaplen, LINKTYPE_ETHERNET
    out.writeBytes(head.array());
    for (Frame f : frames) {
      ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      rec.putInt((int) (f.micros() / 1_000_000)).putInt((int) (f.micros() % 1_000_000));
      rec.putInt(f.data().length).putInt(f.data().length);
      out.writeBytes(rec.array());
      out.writeBytes(f.data());
    }
    return out.toByteArray();
  }

  private static byte[] segment(
      boolean primary, int serverPort, int clientPort, long offset, byte[] payload, short id) {
    Inet4Address src = primary ? PRIMARY : SECONDARY;
    TcpPacket.Builder tcp =
        new TcpPacket.Builder()
            .srcPort(TcpPort.getInstance((short) serverPort))
            .dstPort(TcpPort.getInstance((short) clientPort))
            .sequenceNumber((int) offset)
            .acknowledgmentNumber(1)
            .dataOffset((byte) 5)
            .ack(true)
            .psh(true)
            .window((short) 0xffff)
            .srcAddr(src)
            .dstAddr(CLIENT)
            .payloadBuilder(new UnknownPacket.Builder().rawData(payload))
            .correctChecksumAtBuild(true)
            .correctLengthAtBuild(true);
    IpV4Packet.Builder ip =
        new IpV4Packet.Builder()
            .version(IpVersion.IPV4)
            .tos(IpV4Rfc791Tos.newInstance((byte) 0))
            .identification(id)
            .ttl((byte) 64)
            .protocol(IpNumber.TCP)
            .srcAddr(src)
            .dstAddr(CLIENT)
            .dontFragmentFlag(true)
            .payloadBuilder(tcp)
            .correctChecksumAtBuild(true)
            .correctLengthAtBuild(true);
    EthernetPacket eth =
        new EthernetPacket.Builder()
            .srcAddr(primary ? PRIMARY_MAC : SECONDARY_MAC)
            .dstAddr(CLIENT_MAC)
            .type(EtherType.IPV4)
            .payloadBuilder(ip)
            .paddingAtBuild(true)
            .build();
    return eth.getRawData();
  }
}
