package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a WASI guest is started with: the network model and the files are checked, naming them. */
class WasiLaunchTest {
  @Test
  void theNetworkModelIsListenOrInetd() {
    assertThat(WasiLaunch.Network.ofApiName(null)).isEqualTo(WasiLaunch.Network.LISTEN);
    assertThat(WasiLaunch.Network.ofApiName("listen")).isEqualTo(WasiLaunch.Network.LISTEN);
    assertThat(WasiLaunch.Network.ofApiName("inetd")).isEqualTo(WasiLaunch.Network.INETD);
    assertThatThrownBy(() -> WasiLaunch.Network.ofApiName("INETD"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("network: ");
    assertThat(new WasiLaunch(List.of(), Map.of()).inetd()).isFalse();
  }

  @Test
  void filesAreNamesOfDataWithinTheLimits() {
    assertThat(
            new WasiLaunch(List.of(), Map.of(), null, Map.of("b.txt", "b", "a.html", "a"))
                .files()
                .keySet())
        .containsExactly("a.html", "b.txt");
    for (String bad : List.of("../x", "sub/x", ".hidden", "", "x".repeat(129))) {
      assertThatThrownBy(() -> new WasiLaunch(List.of(), Map.of(), null, Map.of(bad, "x")))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("files: ");
    }
    assertThatThrownBy(
            () ->
                new WasiLaunch(
                    List.of(),
                    Map.of(),
                    null,
                    Map.of("big", "é".repeat(WasiLaunch.MAX_FILE_BYTES / 2 + 1))))
        .hasMessageContaining("bytes, at most " + WasiLaunch.MAX_FILE_BYTES);
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      many.put("f" + i, "x".repeat(WasiLaunch.MAX_FILE_BYTES));
    }
    assertThatThrownBy(() -> new WasiLaunch(List.of(), Map.of(), null, many))
        .hasMessageContaining("in all, at most " + WasiLaunch.MAX_FILES_BYTES);
    Map<String, String> tooMany = new HashMap<>();
    for (int i = 0; i <= WasiLaunch.MAX_FILES; i++) {
      tooMany.put("f" + i, "");
    }
    assertThatThrownBy(() -> new WasiLaunch(List.of(), Map.of(), null, tooMany))
        .hasMessageStartingWith("files: " + (WasiLaunch.MAX_FILES + 1) + " files");
  }
}
