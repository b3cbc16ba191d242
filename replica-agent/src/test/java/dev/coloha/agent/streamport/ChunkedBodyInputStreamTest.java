package dev.coloha.agent.streamport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChunkedBodyInputStreamTest {

  private static InputStream chunked(String wire) {
    return new ChunkedBodyInputStream(
        new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void decodesChunksWithExtensionsAndTrailersAndStopsAtTheLastChunk() throws IOException {
    InputStream in =
        chunked("5\r\nhello\r\nA;name=value\r\n, chunked!\r\n0\r\nX-Trailer: 1\r\n\r\nnext");
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1))
        .isEqualTo("hello, chunked!");
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void readsByteByByteAcrossChunkBoundaries() throws IOException {
    InputStream in = chunked("2\r\nab\r\n1\r\nc\r\n0\r\n\r\n");
    assertThat((char) in.read()).isEqualTo('a');
    assertThat((char) in.read()).isEqualTo('b');
    assertThat((char) in.read()).isEqualTo('c');
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void aMalformedChunkSizeIsAnError() {
    assertThatThrownBy(() -> chunked("zz\r\nab\r\n0\r\n\r\n").readAllBytes())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("chunk size");
    assertThatThrownBy(() -> chunked("-1\r\nab\r\n").readAllBytes())
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> chunked("1234567890abcdef0\r\n").readAllBytes())
        .isInstanceOf(IOException.class);
  }

  @Test
  void aChunkWithoutItsCrlfIsAnError() {
    assertThatThrownBy(() -> chunked("2\r\nabX\r\n0\r\n\r\n").readAllBytes())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("CRLF");
  }

  @Test
  void anOverlongChunkHeaderIsRefused() {
    String line = "1;" + "x".repeat(ChunkedBodyInputStream.MAX_LINE) + "\r\n";
    assertThatThrownBy(() -> chunked(line).readAllBytes())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("longer than");
  }

  @Test
  void aBodyCutInsideAChunkIsATornStream() {
    assertThatThrownBy(() -> chunked("10\r\nonly-part").readAllBytes())
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> chunked("5\r\nhello\r\n").readAllBytes())
        .isInstanceOf(EOFException.class);
  }

  @Test
  void requestHeadsAreParsedAndBoundedInSize() throws IOException {
    RequestHead h =
        RequestHead.read(
            new ByteArrayInputStream(
                "POST /v1/vms/s/replica-stream?epoch=3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nbody"
                    .getBytes(StandardCharsets.ISO_8859_1)),
            1024);
    assertThat(h.method()).isEqualTo("POST");
    assertThat(h.target()).isEqualTo("/v1/vms/s/replica-stream?epoch=3");
    assertThat(h.header("transfer-encoding")).isEqualTo("chunked");
    assertThatThrownBy(
            () ->
                RequestHead.read(
                    new ByteArrayInputStream(
                        ("GET / HTTP/1.1\r\nX: " + "y".repeat(100) + "\r\n\r\n").getBytes()),
                    64))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("longer than 64");
    assertThatThrownBy(
            () -> RequestHead.read(new ByteArrayInputStream("SSH-2.0-x\r\n\r\n".getBytes()), 64))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bad request line");
  }
}
