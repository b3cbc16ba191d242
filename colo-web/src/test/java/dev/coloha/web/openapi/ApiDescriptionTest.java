package dev.coloha.web.openapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.PathParameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApiDescriptionTest {
  private static final ApiDocProperties PROPS =
      new ApiDocProperties("Thing API", "Things.", "1.0.0", "http://{host}:7000", "localhost");

  sealed interface Event {}

  record Started(String type, String id) implements Event {}

  record Stopped(String type, String id, String why) implements Event {}

  record ThingView(String id, String state) {}

  private static OpenAPI spec() {
    OpenAPI api = ApiDescription.base(PROPS);
    api.getComponents()
        .addSchemas(
            "ThingView",
            new ObjectSchema()
                .addProperty("id", new StringSchema())
                .addProperty("state", new StringSchema()));
    Operation get =
        new Operation()
            .addParametersItem(new PathParameter().name("id").schema(new StringSchema()))
            .responses(
                new ApiResponses()
                    .addApiResponse(
                        "200",
                        new ApiResponse()
                            .description("OK")
                            .content(
                                new Content()
                                    .addMediaType(
                                        "*/*",
                                        new MediaType()
                                            .schema(
                                                new ObjectSchema()
                                                    .$ref("#/components/schemas/ThingView"))))));
    Operation events =
        new Operation()
            .responses(
                new ApiResponses().addApiResponse("200", new ApiResponse().description("OK")));
    api.paths(
        new Paths()
            .addPathItem("/v1/things/{id}", new PathItem().get(get))
            .addPathItem("/v1/events", new PathItem().get(events)));
    return api;
  }

  private static ApiOperations operations(Map<String, String> ids) {
    return new ApiOperations(
        ids,
        Map.of("GET /v1/events", Event.class),
        Map.of("ThingView.state", List.of("ON", "OFF")),
        Map.of("things", "Things"),
        Map.of("started", Started.class, "stopped", Stopped.class));
  }

  @Test
  void everyOperationGetsItsIdTheBearerSchemeAndProblemResponses() {
    OpenAPI api = spec();
    new ApiDescription(
            PROPS,
            operations(Map.of("GET /v1/things/{id}", "getThing", "GET /v1/events", "streamEvents")))
        .customise(api);

    Operation get = api.getPaths().get("/v1/things/{id}").getGet();
    assertThat(get.getOperationId()).isEqualTo("getThing");
    assertThat(get.getResponses().get("200").getContent()).containsOnlyKeys("application/json");
    assertThat(get.getResponses())
        .containsKeys("400", "401", "404", "500", "503")
        .doesNotContainKeys("409", "422", "504");
    assertThat(get.getResponses().get("404").get$ref())
        .isEqualTo("#/components/responses/NotFound");
    assertThat(
            api.getComponents()
                .getResponses()
                .get("NotFound")
                .getContent()
                .get("application/problem+json")
                .getSchema()
                .get$ref())
        .isEqualTo("#/components/schemas/ProblemDetail");
    assertThat(api.getComponents().getSchemas().get("ProblemDetail").getProperties())
        .containsKeys("type", "title", "status", "detail", "instance");
    assertThat(api.getSecurity().getFirst()).containsKey("bearer");
    assertThat(api.getComponents().getSecuritySchemes().get("bearer").getScheme())
        .isEqualTo("bearer");
    assertThat(api.getServers().getFirst().getVariables().get("host").getDefault())
        .isEqualTo("localhost");
    assertThat(enumOf(api, "ThingView", "state")).containsExactly("ON", "OFF");
  }

  @Test
  void aStreamIsTypedByItsEventsOneOfTheSealedRecordsByType() {
    OpenAPI api = spec();
    new ApiDescription(
            PROPS,
            operations(Map.of("GET /v1/things/{id}", "getThing", "GET /v1/events", "streamEvents")))
        .customise(api);

    MediaType stream =
        api.getPaths()
            .get("/v1/events")
            .getGet()
            .getResponses()
            .get("200")
            .getContent()
            .get("application/x-ndjson");
    assertThat(stream.getSchema().get$ref()).isEqualTo("#/components/schemas/Event");
    var event = api.getComponents().getSchemas().get("Event");
    assertThat(event.getOneOf()).hasSize(2);
    assertThat(event.getDiscriminator().getMapping())
        .containsEntry("started", "#/components/schemas/Started")
        .containsEntry("stopped", "#/components/schemas/Stopped");
    assertThat(api.getComponents().getSchemas().get("Stopped").getRequired()).contains("type");
    assertThat(enumOf(api, "Stopped", "type")).containsExactly("stopped");
  }

  private static List<Object> enumOf(OpenAPI api, String schema, String property) {
    Schema<?> s = api.getComponents().getSchemas().get(schema);
    return new java.util.ArrayList<>(((Schema<?>) s.getProperties().get(property)).getEnum());
  }

  @Test
  void anOperationWithoutAnIdFailsTheDescription() {
    assertThatThrownBy(
            () ->
                new ApiDescription(PROPS, operations(Map.of("GET /v1/events", "streamEvents")))
                    .customise(spec()))
        .hasMessageContaining("GET /v1/things/{id}");
  }
}
