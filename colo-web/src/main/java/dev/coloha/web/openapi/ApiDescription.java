package dev.coloha.web.openapi;

import dev.coloha.web.ProblemAdvice;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.core.util.Json31;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.Discriminator;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.oas.models.servers.ServerVariable;
import io.swagger.v3.oas.models.servers.ServerVariables;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springdoc.core.customizers.OpenApiCustomizer;

/**
 * Makes a service's generated OpenAPI description one a portal can use as is: its title, version,
 * description and configurable server; the bearer token on every operation; every error declared as
 * an RFC 9457 problem ({@code application/problem+json}, {@code ProblemDetail}); JSON typed {@code
 * application/json} instead of {@code *}{@code /*}; operation ids that read as verbs; string enums;
 * and the streaming operations typed by the events they carry.
 */
public final class ApiDescription implements OpenApiCustomizer {
  static final String BEARER = "bearer";
  static final String PROBLEM = "ProblemDetail";
  static final String PROBLEM_JSON = "application/problem+json";

  /** The errors an operation may answer, by status: a component response each. */
  private static final Map<String, String> ERRORS =
      Map.of(
          "400", "BadRequest",
          "401", "Unauthorized",
          "404", "NotFound",
          "409", "Conflict",
          "422", "UnprocessableContent",
          "500", "InternalError",
          "503", "ServiceUnavailable",
          "504", "GatewayTimeout");

  private static final Map<String, String> ERROR_TEXT =
      Map.of(
          "BadRequest", "The request is malformed or a field is invalid (the problem names it)",
          "Unauthorized", "No or a wrong bearer token (problem type unauthorized)",
          "NotFound", "The resource named in the path does not exist",
          "Conflict",
              "The resource's state or epoch does not allow the call (stale-epoch, not-primary,"
                  + " conflict...)",
          "UnprocessableContent", "The request is well-formed but cannot be carried out",
          "InternalError", "An unexpected error",
          "ServiceUnavailable", "A service this call needs is unavailable (unavailable)",
          "GatewayTimeout", "A service this call needs did not answer in time (timeout)");

  private final ApiDocProperties props;
  private final ApiOperations operations;

  public ApiDescription(ApiDocProperties props, ApiOperations operations) {
    this.props = props;
    this.operations = operations;
  }

  /** The base description: info, server and the bearer scheme (springdoc keeps its servers). */
  public static OpenAPI base(ApiDocProperties props) {
    return new OpenAPI()
        .info(
            new Info()
                .title(props.title())
                .version(props.version())
                .description(props.description()))
        .servers(List.of(server(props)))
        .components(
            new Components()
                .addSecuritySchemes(
                    BEARER,
                    new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .description(
                            "The shared token of the deployment (colo.security.token), sent as"
                                + " Authorization: Bearer <token> on every call")))
        .addSecurityItem(new SecurityRequirement().addList(BEARER));
  }

  private static Server server(ApiDocProperties props) {
    Server server = new Server().url(props.serverUrl());
    if (props.serverUrl().contains("{host}")) {
      server.variables(
          new ServerVariables()
              .addServerVariable(
                  "host",
                  new ServerVariable()
                      ._default(props.serverHost())
                      .description("the service's host name or address")));
    }
    return server;
  }

  @Override
  public void customise(OpenAPI api) {
    Components components = api.getComponents();
    if (components == null) {
      components = new Components();
      api.setComponents(components);
    }
    components.addSchemas(PROBLEM, problemSchema());
    for (Map.Entry<String, String> e : ERRORS.entrySet()) {
      components.addResponses(
          e.getValue(),
          new ApiResponse()
              .description(ERROR_TEXT.get(e.getValue()))
              .content(
                  new Content()
                      .addMediaType(
                          PROBLEM_JSON,
                          new MediaType()
                              .schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM)))));
    }
    for (Class<?> payload : new java.util.HashSet<>(operations.eventPayloads().values())) {
      payloadSchema(components, payload, operations.eventTypes());
    }
    List<String> missing = new ArrayList<>();
    if (api.getPaths() != null) {
      api.getPaths()
          .forEach(
              (path, item) ->
                  item.readOperationsMap()
                      .forEach((method, op) -> operation(path, method, op, missing)));
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("operations without an operation id: " + missing);
    }
    enums(components);
    tags(api);
    sortResponses(api);
    dropUnusedSchemas(api);
  }

  /**
   * Schemas nothing refers to any more (springdoc's {@code SseEmitter} of the streams whose schema
   * became their event's) are left out.
   */
  private static void dropUnusedSchemas(OpenAPI api) {
    Map<String, Schema> schemas = api.getComponents().getSchemas();
    if (schemas == null) {
      return;
    }
    boolean removed = true;
    while (removed) {
      String text = Json31.pretty(api);
      removed =
          schemas
              .keySet()
              .removeIf(name -> !text.contains("\"#/components/schemas/" + name + "\""));
    }
  }

  private void operation(String path, PathItem.HttpMethod method, Operation op, List<String> out) {
    String key = method.name() + " " + path;
    String id = operations.operationIds().get(key);
    if (id == null) {
      out.add(key);
    } else {
      op.setOperationId(id);
    }
    ApiResponses responses = op.getResponses();
    if (responses == null) {
      responses = new ApiResponses();
      op.setResponses(responses);
    }
    for (ApiResponse r : responses.values()) {
      preciseMediaTypes(r.getContent());
    }
    if (op.getRequestBody() != null) {
      preciseMediaTypes(op.getRequestBody().getContent());
    }
    Class<?> payload = operations.eventPayloads().get(key);
    if (payload != null) {
      events(responses, payload);
    }
    boolean hasInput =
        (op.getParameters() != null && !op.getParameters().isEmpty())
            || op.getRequestBody() != null;
    boolean changes = method != PathItem.HttpMethod.GET;
    error(responses, "401");
    if (hasInput) {
      error(responses, "400");
    }
    if (path.contains("{")) {
      error(responses, "404");
    }
    if (changes) {
      error(responses, "409");
      error(responses, "422");
      error(responses, "504");
    }
    error(responses, "500");
    error(responses, "503");
  }

  private static void error(ApiResponses responses, String status) {
    if (!responses.containsKey(status)) {
      responses.addApiResponse(
          status, new ApiResponse().$ref("#/components/responses/" + ERRORS.get(status)));
    }
  }

  /** springdoc types a body {@code *}{@code /*} when the mapping names no media type: JSON. */
  private static void preciseMediaTypes(Content content) {
    if (content != null && content.containsKey("*/*")) {
      MediaType any = content.remove("*/*");
      content.addMediaType(org.springframework.http.MediaType.APPLICATION_JSON_VALUE, any);
    }
  }

  /** A stream's media type keeps its name; its schema is the event each message carries. */
  private static void events(ApiResponses responses, Class<?> payload) {
    ApiResponse ok = responses.get("200");
    if (ok != null && (ok.getContent() == null || ok.getContent().isEmpty())) {
      // a handler that writes the stream itself: springdoc sees no body; it is NDJSON
      ok.setContent(new Content().addMediaType("application/x-ndjson", new MediaType()));
    }
    for (ApiResponse r : responses.values()) {
      if (r.getContent() == null || r.getContent().isEmpty()) {
        continue;
      }
      for (Map.Entry<String, MediaType> m : r.getContent().entrySet()) {
        String how =
            m.getKey().equals("text/event-stream")
                ? "Server-sent events: each event's data is one "
                    + payload.getSimpleName()
                    + " as JSON, its name the event's kind."
                : "One " + payload.getSimpleName() + " as JSON per line.";
        m.getValue()
            .schema(
                new Schema<>()
                    .$ref("#/components/schemas/" + payload.getSimpleName())
                    .description(how));
      }
    }
  }

  /**
   * A stream's event schema; a sealed interface's is one of its records (springdoc would show an
   * empty object).
   */
  private static void payloadSchema(
      Components components, Class<?> payload, Map<String, Class<?>> types) {
    if (!payload.isSealed()) {
      ModelConverters.getInstance(true)
          .readAll(new AnnotatedType(payload))
          .forEach(components::addSchemas);
      return;
    }
    Schema<Object> oneOf = new Schema<>();
    oneOf.description("One of the " + payload.getSimpleName() + " kinds, told apart by type");
    for (Class<?> kind : payload.getPermittedSubclasses()) {
      payloadSchema(components, kind, types);
      oneOf.addOneOfItem(new Schema<>().$ref("#/components/schemas/" + kind.getSimpleName()));
    }
    Discriminator discriminator = new Discriminator().propertyName("type");
    new TreeMap<>(types)
        .forEach(
            (type, kind) -> {
              if (payload.isAssignableFrom(kind)) {
                discriminator.mapping(type, "#/components/schemas/" + kind.getSimpleName());
              }
            });
    if (discriminator.getMapping() != null) {
      oneOf.discriminator(discriminator);
      // every record says which it is: its type is required and takes only its own values
      for (Class<?> kind : payload.getPermittedSubclasses()) {
        Schema<?> record = components.getSchemas().get(kind.getSimpleName());
        List<String> values =
            types.entrySet().stream()
                .filter(e -> e.getValue().equals(kind))
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
        Schema<?> type = record.getProperties() == null ? null : record.getProperties().get("type");
        if (type != null && !values.isEmpty()) {
          @SuppressWarnings("unchecked")
          Schema<String> t = (Schema<String>) type;
          t.setEnum(new ArrayList<>(values));
          if (record.getRequired() == null || !record.getRequired().contains("type")) {
            record.addRequiredItem("type");
          }
        }
      }
    }
    components.addSchemas(payload.getSimpleName(), oneOf);
  }

  private void enums(Components components) {
    for (Map.Entry<String, List<String>> e : operations.enums().entrySet()) {
      String[] at = e.getKey().split("\\.", 2);
      Schema<?> schema =
          components.getSchemas() == null ? null : components.getSchemas().get(at[0]);
      Schema<?> property =
          schema == null || schema.getProperties() == null
              ? null
              : schema.getProperties().get(at[1]);
      if (property == null) {
        throw new IllegalStateException("no schema property " + e.getKey() + " to make an enum");
      }
      @SuppressWarnings("unchecked")
      Schema<String> s = (Schema<String>) property;
      s.setEnum(new ArrayList<>(e.getValue()));
    }
  }

  private void tags(OpenAPI api) {
    if (operations.tags().isEmpty()) {
      return;
    }
    List<Tag> tags = new ArrayList<>();
    new TreeMap<>(operations.tags())
        .forEach((name, text) -> tags.add(new Tag().name(name).description(text)));
    api.setTags(tags);
  }

  /** Responses in status order, so that the committed file reads well and stays stable. */
  private static void sortResponses(OpenAPI api) {
    if (api.getPaths() == null) {
      return;
    }
    for (PathItem item : api.getPaths().values()) {
      for (Operation op : item.readOperations()) {
        Map<String, ApiResponse> sorted = new TreeMap<>(op.getResponses());
        ApiResponses responses = new ApiResponses();
        new LinkedHashMap<>(sorted).forEach(responses::addApiResponse);
        op.setResponses(responses);
      }
    }
  }

  private static Schema<?> problemSchema() {
    ObjectSchema s = new ObjectSchema();
    s.description(
        "An RFC 9457 problem: every error of the API. Extension members carry what a client needs"
            + " to recover (e.g. currentEpoch of a stale-epoch problem).");
    s.addProperty(
        "type",
        new StringSchema()
            .format("uri")
            .description(
                ProblemAdvice.TYPE_BASE
                    + "<slug>, the slug naming the problem: bad-request, unauthorized,"
                    + " not-found, group-not-found, vm-not-found, volume-not-found, conflict,"
                    + " stale-epoch, not-primary, vm-state, volume-state, checkpoint-mismatch,"
                    + " replication-broken, resync-required, unavailable, timeout..."));
    s.addProperty("title", new StringSchema().description("the slug's short text"));
    s.addProperty(
        "status", new IntegerSchema().format("int32").description("the HTTP status code"));
    s.addProperty("detail", new StringSchema().description("what happened, for a human"));
    s.addProperty("instance", new StringSchema().format("uri").description("the request's path"));
    s.setAdditionalProperties(true);
    return s;
  }
}
