package dev.coloha.proxy.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.proxy.event.MismatchRecord;
import dev.coloha.proxy.forensics.PcapFile;
import dev.coloha.wire.io.IoFrame;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.TcpPacket;

/** The forensic .pcap: two TCP flows whose sequence numbers are the output offsets. */
class PcapFileTest {
  @Test
  void aMismatchBecomesTwoTcpFlowsWithOffsetsAsSequenceNumbers() throws Exception {
    Recorder rec = new Recorder();
    OutputComparator cmp =
        new OutputComparator(
            OutputComparator.Mode.COLO,
            new OutputComparator.Settings(1_000_000_000L, 1_000_000_000L, 1 << 20, 1 << 20, 16, 8),
            rec);
    cmp.primary(new IoFrame.Interval(1, 1), 0);
    cmp.open(3);
    byte[] p = "+OK\r\n:1700000000\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] s = "+OK\r\n:1700000001\r\n".getBytes(StandardCharsets.US_ASCII);
    cmp.primary(new IoFrame.Output(1, 1, 3, 0, p), 1_000_000);
    cmp.secondary(new IoFrame.Output(1, 1, 3, 0, s), 2_000_000);
    Mismatch m = rec.mismatches.getFirst();
    assertThat(m.offset()).isEqualTo(15);
    byte[] file = PcapFile.of(new MismatchRecord(1, "g", Instant.now(), m, 0), 6379);

    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(b.getInt()).isEqualTo(0xa1b2c3d4);
    b.position(20);
    assertThat(b.getInt()).isEqualTo(1); // Ethernet
    List<TcpPacket> primary = new ArrayList<>();
    List<TcpPacket> secondary = new ArrayList<>();
    while (b.hasRemaining()) {
      b.getInt();
      b.getInt();
      int len = b.getInt();
      b.getInt();
      byte[] raw = new byte[len];
      b.get(raw);
      EthernetPacket eth = EthernetPacket.newPacket(raw, 0, raw.length);
      IpV4Packet ip = eth.get(IpV4Packet.class);
      TcpPacket tcp = eth.get(TcpPacket.class);
      (ip.getHeader().getSrcAddr().getHostAddress().equals("192.0.2.10") ? primary : secondary)
          .add(tcp);
      assertThat(tcp.getHeader().getSrcPort().valueAsInt()).isEqualTo(6379);
    }
    // before the divergence (8 bytes, identical in both), then each side's bytes from offset 15
    assertThat(primary).extracting(t -> t.getHeader().getSequenceNumber()).containsExactly(7, 15);
    assertThat(secondary).extracting(t -> t.getHeader().getSequenceNumber()).containsExactly(7, 15);
    assertThat(new String(primary.get(1).getPayload().getRawData(), StandardCharsets.US_ASCII))
        .isEqualTo("0\r\n");
    assertThat(new String(secondary.get(1).getPayload().getRawData(), StandardCharsets.US_ASCII))
        .isEqualTo("1\r\n");
    assertThat(Map.of()).isEmpty();
  }
}
