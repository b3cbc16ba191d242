package dev.coloha.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every kind of error a COLO HA service names: its stable slug (the RFC 9457 problem type's last
 * segment, the wire error frame's code) and the HTTP status it is answered with. The exceptions
 * name their kind, the problem handlers answer with its status, the block protocol's FAIL and ERROR
 * frames carry its slug, and the coordinator decides on the kind a service answered, not on a
 * string.
 */
public enum ErrorKind {
  // 400: the request is wrong
  BAD_REQUEST("bad-request", 400),
  INVALID_FIELD("invalid-field", 400),
  UNKNOWN_FIELD("unknown-field", 400),
  MALFORMED_BODY("malformed-body", 400),
  INVALID_PATH("invalid-path", 400),
  /** Tomcat's answer to a request line and headers over its limit. */
  REQUEST_HEAD_TOO_LARGE("request-head-too-large", 400),
  UNAUTHORIZED("unauthorized", 401),
  FORBIDDEN("forbidden", 403),
  // 404: no such thing
  NOT_FOUND("not-found", 404),
  VM_NOT_FOUND("vm-not-found", 404),
  GROUP_NOT_FOUND("group-not-found", 404),
  VOLUME_NOT_FOUND("volume-not-found", 404),
  MISMATCH_NOT_FOUND("mismatch-not-found", 404),
  CHECKPOINT_FILE_NOT_FOUND("checkpoint-file-not-found", 404),
  UNKNOWN_GUEST("unknown-guest", 404),
  METHOD_NOT_ALLOWED("method-not-allowed", 405),
  // 409: the request does not fit the state
  CONFLICT("conflict", 409),
  STALE_EPOCH("stale-epoch", 409),
  NOT_PRIMARY("not-primary", 409),
  VM_STATE("vm-state", 409),
  CHECKPOINT_MISMATCH("checkpoint-mismatch", 409),
  VOLUME_STATE("volume-state", 409),
  BARRIER_ORDER("barrier-order", 409),
  REPLICATION_BROKEN("replication-broken", 409),
  RESYNC_REQUIRED("resync-required", 409),
  GUEST_TRAP("guest-trap", 409),
  BODY_TOO_LARGE("body-too-large", 413),
  UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415),
  // 422: understood, but cannot be done
  LIMIT_EXCEEDED("limit-exceeded", 422),
  SECTOR_RANGE("sector-range", 422),
  CORRUPT_STREAM("corrupt-stream", 422),
  INVALID_GUEST("invalid-guest", 422),
  UNSUPPORTED_ABI("unsupported-abi", 422),
  GUEST_BOOT_FAILED("guest-boot-failed", 422),
  GUEST_DELIVERY("guest-delivery", 422),
  INPUT_PROTOCOL("input-protocol", 422),
  /** A service the answering one called failed (the coordinator's view of an agent's error). */
  REMOTE_ERROR("remote-error", 422),
  // 5xx: the service cannot now
  INTERNAL_ERROR("internal-error", 500),
  IO_ERROR("io-error", 500),
  UNAVAILABLE("unavailable", 503),
  DISK_UNAVAILABLE("disk-unavailable", 503),
  TIMEOUT("timeout", 504);

  private static final Map<String, ErrorKind> BY_SLUG =
      Arrays.stream(values())
          .collect(Collectors.toUnmodifiableMap(k -> k.slug, Function.identity()));

  /** What an error whose slug no kind has is answered with. */
  public static final int UNLISTED_STATUS = 422;

  private final String slug;
  private final int status;

  ErrorKind(String slug, int status) {
    this.slug = slug;
    this.status = status;
  }

  /** The stable, lower-case slug, e.g. {@code stale-epoch}. */
  @JsonValue
  public String slug() {
    return slug;
  }

  /** The HTTP status a problem of this kind is answered with. */
  public int status() {
    return status;
  }

  /** The kind of {@code slug}; empty for a slug no kind has (e.g. {@code http-502}). */
  public static Optional<ErrorKind> ofSlug(String slug) {
    return Optional.ofNullable(slug == null ? null : BY_SLUG.get(slug));
  }

  /**
   * The status a problem with {@code slug} is answered with ({@value #UNLISTED_STATUS} if none).
   */
  public static int statusOf(String slug) {
    return ofSlug(slug).map(ErrorKind::status).orElse(UNLISTED_STATUS);
  }

  @Override
  public String toString() {
    return slug;
  }
}
