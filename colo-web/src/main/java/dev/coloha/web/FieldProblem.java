package dev.coloha.web;

import dev.coloha.api.ErrorKind;
import dev.coloha.web.limits.BodyTooLargeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.BindException;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.exc.ValueInstantiationException;

/**
 * What was wrong with a request that Spring MVC refused before a controller ran, said the way a
 * portal can act on it: a stable type, the field (as the JSON body or the URL spells it, e.g.
 * {@code policy.minIntervalMs}), and a detail that starts with that field.
 *
 * @param status the HTTP status
 * @param type the problem type slug
 * @param field the offending field (the first one when several are wrong), or null
 * @param detail "field: what is wrong" (every wrong field, separated by "; ")
 * @param errors every wrong field and what is wrong with it (empty when only one could be named)
 */
public record FieldProblem(
    HttpStatusCode status,
    String type,
    String field,
    String detail,
    List<Map<String, String>> errors) {

  /** The problem for one of Spring MVC's own exceptions; null when it has nothing to add. */
  static FieldProblem of(Exception ex, HttpStatusCode status) {
    return switch (ex) {
      case BindException b -> bind(b, status);
      case HandlerMethodValidationException h -> methodValidation(h, status);
      case HttpMessageNotReadableException n -> unreadable(n, status);
      case TypeMismatchException t ->
          one(
              status,
              ErrorKind.INVALID_FIELD.slug(),
              t.getPropertyName(),
              "must be "
                  + (t.getRequiredType() == null
                      ? "of another type"
                      : article(t.getRequiredType().getSimpleName())));
      case MissingServletRequestParameterException m ->
          one(status, ErrorKind.INVALID_FIELD.slug(), m.getParameterName(), "is required");
      case HttpMediaTypeNotSupportedException m ->
          one(
              status,
              ErrorKind.UNSUPPORTED_MEDIA_TYPE.slug(),
              "Content-Type",
              "must be one of " + m.getSupportedMediaTypes());
      case HttpRequestMethodNotSupportedException m ->
          one(
              status,
              ErrorKind.METHOD_NOT_ALLOWED.slug(),
              "method",
              m.getMethod() + " is not allowed here; use " + m.getSupportedHttpMethods());
      case NoResourceFoundException n ->
          one(
              status,
              ErrorKind.NOT_FOUND.slug(),
              "path",
              "no such resource: /" + n.getResourcePath());
      default -> null;
    };
  }

  private static FieldProblem bind(BindException b, HttpStatusCode status) {
    List<Map<String, String>> errors = new ArrayList<>();
    for (FieldError e : b.getFieldErrors()) {
      errors.add(Map.of("field", e.getField(), "message", String.valueOf(e.getDefaultMessage())));
    }
    for (ObjectError e : b.getGlobalErrors()) {
      errors.add(
          Map.of("field", e.getObjectName(), "message", String.valueOf(e.getDefaultMessage())));
    }
    return many(status, errors);
  }

  private static FieldProblem methodValidation(
      HandlerMethodValidationException h, HttpStatusCode status) {
    List<Map<String, String>> errors = new ArrayList<>();
    h.getParameterValidationResults()
        .forEach(
            r -> {
              String name = r.getMethodParameter().getParameterName();
              r.getResolvableErrors()
                  .forEach(
                      e ->
                          errors.add(
                              Map.of(
                                  "field",
                                  e instanceof FieldError f ? f.getField() : String.valueOf(name),
                                  "message",
                                  String.valueOf(e.getDefaultMessage()))));
            });
    return many(status, errors);
  }

  private static FieldProblem many(HttpStatusCode status, List<Map<String, String>> errors) {
    errors.sort(java.util.Comparator.comparing((Map<String, String> e) -> e.get("field")));
    StringBuilder detail = new StringBuilder();
    for (Map<String, String> e : errors) {
      if (!detail.isEmpty()) {
        detail.append("; ");
      }
      detail.append(e.get("field")).append(": ").append(e.get("message"));
    }
    String field = errors.isEmpty() ? null : errors.getFirst().get("field");
    return new FieldProblem(
        status, ErrorKind.INVALID_FIELD.slug(), field, detail.toString(), List.copyOf(errors));
  }

  private static FieldProblem unreadable(HttpMessageNotReadableException n, HttpStatusCode status) {
    for (Throwable t = n; t != null; t = t.getCause()) {
      if (t instanceof BodyTooLargeException big) {
        return one(
            HttpStatus.CONTENT_TOO_LARGE,
            ErrorKind.BODY_TOO_LARGE.slug(),
            "body",
            big.getMessage());
      }
    }
    JacksonException j = jackson(n);
    if (j == null) {
      return one(status, ErrorKind.MALFORMED_BODY.slug(), "body", "is missing or is not JSON");
    }
    String path = path(j);
    if (j instanceof UnrecognizedPropertyException u) {
      return one(
          status,
          ErrorKind.UNKNOWN_FIELD.slug(),
          path,
          "is not a field of this request; known fields: " + u.getKnownPropertyIds());
    }
    if (path.isEmpty()) {
      return one(
          status,
          ErrorKind.MALFORMED_BODY.slug(),
          "body",
          "is not valid JSON: " + j.getOriginalMessage());
    }
    String problem;
    if (j instanceof InputCoercionException c) {
      problem = "is out of range for " + article(c.getTargetType().getSimpleName());
    } else if (j instanceof ValueInstantiationException v && v.getCause() != null) {
      problem = String.valueOf(v.getCause().getMessage());
    } else if (j instanceof MismatchedInputException m && m.getTargetType() != null) {
      problem = targetProblem(m.getTargetType());
    } else {
      problem = "cannot be read: " + j.getOriginalMessage();
    }
    return one(status, ErrorKind.INVALID_FIELD.slug(), path, problem);
  }

  private static String targetProblem(Class<?> target) {
    if (target.isEnum()) {
      return "must be one of " + java.util.Arrays.toString(target.getEnumConstants());
    }
    return "must be " + article(target.getSimpleName());
  }

  /** "an integer", "a Duration (ISO-8601, e.g. PT1S)"... */
  private static String article(String type) {
    return switch (type) {
      case "int", "Integer", "long", "Long", "short", "Short" -> "an integer";
      case "double", "Double", "float", "Float" -> "a number";
      case "boolean", "Boolean" -> "true or false";
      case "String" -> "a string";
      case "Duration" -> "an ISO-8601 duration, e.g. PT1S";
      case "List", "Set" -> "an array";
      default -> "an object (" + type + ")";
    };
  }

  private static JacksonException jackson(Throwable t) {
    for (; t != null; t = t.getCause()) {
      if (t instanceof JacksonException j) {
        return j;
      }
    }
    return null;
  }

  /** "policy.minIntervalMs", "sync.outputOffsets[0].conn": the JSON path of the failure. */
  static String path(JacksonException j) {
    StringBuilder s = new StringBuilder();
    for (JacksonException.Reference r : j.getPath()) {
      if (r.getPropertyName() != null) {
        if (!s.isEmpty()) {
          s.append('.');
        }
        s.append(r.getPropertyName());
      } else if (r.getIndex() >= 0) {
        s.append('[').append(r.getIndex()).append(']');
      }
    }
    return s.toString();
  }

  private static FieldProblem one(
      HttpStatusCode status, String type, String field, String problem) {
    return new FieldProblem(status, type, field, field + ": " + problem, List.of());
  }
}
