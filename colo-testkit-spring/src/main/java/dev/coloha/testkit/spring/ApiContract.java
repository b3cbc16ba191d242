package dev.coloha.testkit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.BadRequest;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.JsonFuzzer;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.test.context.TestPropertySource;

/**
 * A service's API contract on the real application, which takes the bearer token {@link #TOKEN}:
 * every bad request is refused at once with a problem document naming the field and the service
 * serves on; fuzzed bodies never get a 5xx or change anything when refused. A service's {@code
 * *ContractIT} holds only its own: its rows, a static {@code badRequests()} returning them (its own
 * rows plus {@link BadRequest#everyService}), the read it serves on after each row, and what to
 * fuzz ({@link #fuzzing}).
 *
 * <pre>{@code
 * class MirrorContractIT extends ApiContract {
 *   MirrorContractIT() { super("/v1/volumes"); }
 *   static Stream<BadRequest> badRequests() { ... }
 *   protected Fuzzing fuzzing() { ... }
 * }
 * }</pre>
 */
@TestPropertySource(properties = "colo.security.token=" + ApiContract.TOKEN)
public abstract class ApiContract extends ServiceOnRandomPort {
  /** The service's bearer token in its contract test ({@link #api} sends it). */
  public static final String TOKEN = "contract-token";

  private final String servesOn;

  /**
   * @param servesOn a read the service answers with 200 while it serves (its main list, e.g. {@code
   *     /v1/groups}), asked after every row and after the fuzz run
   */
  protected ApiContract(String servesOn) {
    this.servesOn = servesOn;
  }

  /**
   * What the fuzz run sends: {@code count} seeded mutations of the {@code valid} bodies as {@code
   * method path}, of which more than {@code minRefused} must be refused.
   *
   * @param state what the service holds (e.g. its list); must not change on a refusal
   * @param accepted called with each 2xx answer (e.g. to delete what it created)
   */
  public record Fuzzing(
      String method,
      String path,
      List<String> valid,
      int count,
      int minRefused,
      Supplier<String> state,
      Consumer<Http.Reply> accepted) {}

  /** What to fuzz; asked in the test, so {@link #api} is there. */
  protected abstract Fuzzing fuzzing();

  /** Each row of the test class's static {@code badRequests()}. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void aBadRequestIsRefusedNamingTheFieldAndTheServiceServesOn(BadRequest row) {
    row.check(api);
    assertThat(api.get(servesOn).status()).isEqualTo(200);
  }

  @Test
  void fuzzedBodiesGetAnAnswerOrAProblemAndARefusalChangesNothing() {
    Fuzzing f = fuzzing();
    JsonFuzzer.Outcome o =
        new JsonFuzzer(16)
            .run(api, f.method(), f.path(), f.valid(), f.count(), f.state(), f.accepted());
    assertThat(o.refused()).isGreaterThan(f.minRefused());
    assertThat(api.get(servesOn).status()).isEqualTo(200);
  }
}
