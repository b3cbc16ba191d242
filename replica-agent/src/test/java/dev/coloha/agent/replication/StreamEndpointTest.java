package dev.coloha.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamEndpointTest {
  @Test
  void thePortComesFromTheAnswer() {
    assertThat(StreamEndpoint.portOf("{\"port\":7702,\"bind\":\"0.0.0.0\"}")).isEqualTo(7702);
  }

  @Test
  void anAnswerWithoutAPortGivesZero() {
    assertThat(StreamEndpoint.portOf("{}")).isZero();
    assertThat(StreamEndpoint.portOf("{\"port\":\"x\"}")).isZero();
    assertThat(StreamEndpoint.portOf("not json")).isZero();
  }

  @Test
  void theStreamGoesToThePeersHostOnThatPort() {
    Peer peer = new Peer("http://10.0.0.2:7701/", "s1");
    assertThat(peer.streamUri(3, 7702).toString())
        .isEqualTo("http://10.0.0.2:7702/v1/vms/s1/replica-stream?epoch=3");
    assertThat(peer.streamUri(3).toString())
        .isEqualTo("http://10.0.0.2:7701/v1/vms/s1/replica-stream?epoch=3");
  }
}
