package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.wire.InvalidFieldException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A library guest written against ABI v1 is refused the fields only a WASI guest can use (it has an
 * environment).
 */
class WasiOnlyFieldsTest {

  private static GroupSpec create(
      List<String> args, Map<String, String> env, String network, Map<String, String> files) {
    return new GroupSpec(
        "g", "mine", 1 << 20, 0, 7300, "127.0.0.1", args, env, network, files, null);
  }

  @Test
  void anAbiV1GuestIsRefusedEachWasiOnlyFieldByName() {
    assertThatThrownBy(
            () ->
                GroupAdmission.checkWasiOnlyFields(
                    create(List.of(), Map.of(), "inetd", Map.of()), "colo-v1"))
        .isInstanceOf(InvalidFieldException.class)
        .hasFieldOrPropertyWithValue("field", "network");
    assertThatThrownBy(
            () ->
                GroupAdmission.checkWasiOnlyFields(
                    create(List.of("-v"), Map.of(), null, Map.of()), "colo-v1"))
        .hasFieldOrPropertyWithValue("field", "args");
    assertThatThrownBy(
            () ->
                GroupAdmission.checkWasiOnlyFields(
                    create(List.of(), Map.of(), null, Map.of("index.html", "x")), "colo-v1"))
        .hasFieldOrPropertyWithValue("field", "files");
  }

  @Test
  void aWasiGuestAndAPlainAbiV1RequestPass() {
    assertThatCode(
            () ->
                GroupAdmission.checkWasiOnlyFields(
                    create(List.of("-v"), Map.of("A", "1"), "inetd", Map.of("f", "x")), "wasi-p1"))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                GroupAdmission.checkWasiOnlyFields(
                    create(List.of(), Map.of(), "listen", Map.of()), "colo-v1"))
        .doesNotThrowAnyException();
    // an ABI v1 guest has an environment (env_get): the kv guest reads COLO_APPENDFSYNC there
    assertThatCode(
            () ->
                GroupAdmission.checkWasiOnlyFields(
                    create(List.of(), Map.of("A", "1"), null, Map.of()), "colo-v1"))
        .doesNotThrowAnyException();
  }
}
