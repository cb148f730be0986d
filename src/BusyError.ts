/**
 * The error of a request that could not acquire its resources in time.
 *
 * @since 0.1.0
 */
import * as Busy from "@effect-concurrency-limiter/core/busy/response"
import type * as BusyReason from "@effect-concurrency-limiter/core/busy/reason"
import { message as busyMessage } from "@effect-concurrency-limiter/core/busy/reason"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Headers from "@effect/platform/Headers"
import * as HttpServerRespondable from "@effect/platform/HttpServerRespondable"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import { pipeArguments } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"

/**
 * The body of the 503 response, byte for byte the one of
 * `fastapi-concurrency-limiter`, so clients written for it keep working.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { BusyError } from "effect-concurrency-limiter"
 *
 * strictEqual(BusyError.responseBody, '{"detail":"Server busy, please retry later"}')
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const responseBody = Busy.responseBody

/**
 * Why a request was refused: its deadline passed while it waited
 * (`"timeout"`), or the resource's queue already held `maxWaiting` waiters
 * (`"queue-full"`), so it did not wait at all, or the resource's permits are
 * held in Redis and Redis could not be reached (`"unavailable"`, from
 * `RedisLimiter.layer` with `failure: "closed"`), or the request held its
 * permits in Redis and its lease could not be renewed in time
 * (`"lease-lost"`, from `RedisLimiter.layer`: the guarded effect was stopped
 * so that the capacity holds).
 *
 * @example
 * ```ts
 * import { BusyError } from "effect-concurrency-limiter"
 *
 * const explain = (reason: BusyError.Reason): string => {
 *   switch (reason) {
 *     case "timeout":
 *       return "no permit within the timeout"
 *     case "queue-full":
 *       return "the queue was full"
 *     case "unavailable":
 *       return "the limiter's Redis was unreachable"
 *     case "lease-lost":
 *       return "the permit's lease in Redis was lost"
 *   }
 * }
 * ```
 *
 * @since 0.3.0
 * @category models
 */
export type Reason = BusyReason.Reason

/**
 * What the 503 body is, on the wire: `{"detail":"Server busy, please retry later"}`.
 *
 * @example
 * ```ts
 * import { BusyError } from "effect-concurrency-limiter"
 *
 * // What a client of a limited server may receive with a 503.
 * const body: BusyError.Encoded = { detail: "Server busy, please retry later" }
 * ```
 *
 * @since 0.5.0
 * @category models
 */
export interface Encoded {
  readonly detail: typeof detail
}

/**
 * Raised by `Limiter.withResources` when the resources of a request could not
 * all be acquired: the deadline passed while it waited, or a resource's
 * queue was full (`reason`). It names the resource and how long it waited.
 *
 * It renders itself as HTTP 503 with the body `{"detail":"Server busy, please
 * retry later"}` and a `Retry-After` header, so a guarded `HttpRouter` or
 * `HttpLayerRouter` handler needs no extra code. In an `HttpApi`, declare it
 * as the endpoint's error (`.addError(BusyError.BusyError)`): the class is
 * also the schema `HttpApiError`, so the app answers the same 503, byte for
 * byte and with `Retry-After`, and the OpenAPI document describes its body.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 * import { Limiter, Resource } from "effect-concurrency-limiter"
 *
 * const Db = Resource.make("Db", { capacity: 5 })
 * const listMessages = Effect.succeed(["hello", "world"]) // a database query
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.get(
 *     "/messages",
 *     listMessages.pipe(
 *       Effect.flatMap((messages) => HttpServerResponse.json(messages)),
 *       Limiter.withResources([Db]),
 *       // Without this, the BusyError answers 503 with Retry-After itself;
 *       // here it is replaced with a response of your own.
 *       Effect.catchTag("BusyError", (error) =>
 *         HttpServerResponse.text(`${error.resource} is busy (${error.reason})`, {
 *           status: 429,
 *           headers: { "retry-after": String(error.retryAfterSeconds) }
 *         }))
 *     )
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class BusyError extends Data.TaggedError("BusyError")<{
  /** The name of the resource that could not be acquired in time. */
  readonly resource: string
  /** How long the request waited before it gave up (zero when it was refused at once). */
  readonly waited: Duration.Duration
  /** Why it was refused. */
  readonly reason: Reason
}> {
  /** `reason` absent means `"timeout"`. */
  constructor(args: {
    readonly resource: string
    readonly waited: Duration.Duration
    readonly reason?: Reason | undefined
  }) {
    super({ resource: args.resource, waited: args.waited, reason: args.reason ?? "timeout" })
  }

  /** @since 0.1.0 */
  override get message(): string {
    return busyMessage(this.resource, this.reason, this.reason === "timeout" ? Duration.format(this.waited) : "")
  }

  /**
   * Seconds a client should wait before retrying: the time this request
   * waited, rounded up, at least 1 — by then the queue it met has turned over.
   * A refusal for a full queue did not wait, so it says 1.
   *
   * @since 0.1.0
   */
  get retryAfterSeconds(): number {
    return Busy.retryAfterSeconds(Duration.toSeconds(this.waited))
  }

  /**
   * Renders the error as the response a server sends for it: status 503,
   * the body `responseBody` and `Retry-After: retryAfterSeconds`.
   *
   * @example
   * ```ts
   * import { strictEqual } from "node:assert"
   * import { HttpServerRespondable } from "@effect/platform"
   * import { Duration, Effect } from "effect"
   * import { BusyError } from "effect-concurrency-limiter"
   *
   * const error = new BusyError.BusyError({ resource: "Db", waited: Duration.millis(1_500) })
   * const response = Effect.runSync(HttpServerRespondable.toResponse(error))
   * strictEqual(response.status, 503)
   * strictEqual(response.headers["retry-after"], "2")
   * ```
   *
   * @since 0.1.0
   */
  [HttpServerRespondable.symbol]() {
    return Effect.succeed(
      HttpServerResponse.text(Busy.responseBody, {
        status: Busy.status,
        contentType: Busy.contentType,
        headers: Headers.fromInput({ [Busy.retryAfterHeader]: String(this.retryAfterSeconds) })
      })
    )
  }

  // The class is also a schema, the one of `HttpApiError` (defined below and
  // read lazily), so that `.addError(BusyError)` declares exactly the 503 the
  // class renders, rather than a JSON of its fields without `Retry-After`.

  /** @since 0.5.0 */
  declare static readonly Type: BusyError
  /** @since 0.5.0 */
  declare static readonly Encoded: Encoded
  /** @since 0.5.0 */
  declare static readonly Context: never
  /** @since 0.5.0 */
  static get [Schema.TypeId](): Schema.Schema.Variance<BusyError, Encoded, never>[typeof Schema.TypeId] {
    return (HttpApiError as unknown as Schema.Schema.Variance<BusyError, Encoded, never>)[Schema.TypeId]
  }
  /** @since 0.5.0 */
  static get ast(): AST.AST {
    return HttpApiError.ast
  }
  /**
   * The class as a schema (`HttpApiError`), with more annotations.
   *
   * @example
   * ```ts
   * import { HttpApiEndpoint } from "@effect/platform"
   * import { Schema } from "effect"
   * import { BusyError } from "effect-concurrency-limiter"
   *
   * // The same 503, described in the OpenAPI document in words of your own.
   * const list = HttpApiEndpoint.get("list", "/messages")
   *   .addSuccess(Schema.Array(Schema.String))
   *   .addError(BusyError.BusyError.annotations({ description: "Too many readers: retry later." }))
   * ```
   *
   * @since 0.5.0
   */
  static annotations(annotations: Schema.Annotations.GenericSchema<BusyError>): Schema.Schema<BusyError, Encoded> {
    return HttpApiError.annotations(annotations)
  }
  /**
   * Makes the class pipeable, as a schema is; it is of no use on its own.
   *
   * @ignore
   * @since 0.5.0
   */
  static pipe(this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
}

/**
 * The text of the 503 body's `detail`.
 *
 * @example
 * ```ts
 * import { BusyError } from "effect-concurrency-limiter"
 *
 * // In a client: did the server refuse for overload, rather than fail?
 * const isServerBusy = (status: number, body: unknown): boolean =>
 *   status === 503 && typeof body === "object" && body !== null && "detail" in body &&
 *   body.detail === BusyError.detail
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const detail = Busy.detail

/**
 * `BusyError` as an `HttpApi` endpoint error — the schema the `BusyError`
 * class itself stands for, so declaring either is the same. Declaring it
 * makes an `HttpApi` app answer exactly what an `HttpRouter` app answers:
 * status 503, the body `{"detail":"Server busy, please retry later"}` and
 * `Retry-After`; the OpenAPI document describes that body under 503.
 *
 * How: its encoded side is the body, so the document shows it, but it
 * refuses to encode on the server. `HttpApiBuilder` then hands the failure
 * to the HTTP layer, which renders the `BusyError` through its own
 * `HttpServerRespondable` — the one path that can set `Retry-After`, which a
 * schema cannot. A client that decodes the body (`HttpApiClient`) gets a
 * `BusyError` whose `resource` is `"(remote)"` and `waited` zero: the body
 * does not say which resource was busy, by design.
 *
 * @example
 * ```ts
 * import { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
 * import { Schema } from "effect"
 * import { BusyError } from "effect-concurrency-limiter"
 *
 * const Messages = HttpApiGroup.make("messages").add(
 *   HttpApiEndpoint.get("list", "/messages").addSuccess(Schema.Array(Schema.String)).addError(BusyError.HttpApiError)
 * )
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const HttpApiError: Schema.Schema<BusyError, Encoded> = Schema.transformOrFail(
  Schema.Struct({ detail: Schema.Literal(detail) }),
  Schema.instanceOf(BusyError),
  {
    strict: true,
    decode: () => ParseResult.succeed(new BusyError({ resource: "(remote)", waited: Duration.zero })),
    encode: (error, _, ast) =>
      ParseResult.fail(
        new ParseResult.Forbidden(ast, error, "a BusyError is rendered by its HttpServerRespondable, with Retry-After")
      )
  }
).annotations({
  identifier: "BusyError",
  ...HttpApiSchema.annotations({ status: Busy.status, description: "The server is busy: retry later." })
})
