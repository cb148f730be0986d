/**
 * The error of a request that could not acquire its resources in time.
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as BusyReason from "@effect-concurrency-limiter/core/busy/reason"
import { message as busyMessage } from "@effect-concurrency-limiter/core/busy/reason"
import * as Busy from "@effect-concurrency-limiter/core/busy/response"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpServerRespondable from "effect/http/HttpServerRespondable"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"

/**
 * The body of the 503 response, byte for byte the one of
 * `fastapi-concurrency-limiter`, so clients written for it keep working.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { BusyError } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(BusyError.responseBody, '{"detail":"Server busy, please retry later"}')
 * ```
 *
 * @since 0.6.0
 * @category constants
 */
export const responseBody = Busy.responseBody

/**
 * The text of the 503 body's `detail`.
 *
 * @example
 * ```ts
 * import { BusyError } from "@effect-concurrency-limiter/effect4"
 *
 * // In a client: did the server refuse for overload, rather than fail?
 * const isServerBusy = (status: number, body: unknown): boolean =>
 *   status === 503 && typeof body === "object" && body !== null && "detail" in body &&
 *   body.detail === BusyError.detail
 * ```
 *
 * @since 0.6.0
 * @category constants
 */
export const detail = Busy.detail

/**
 * Why a request was refused: its deadline passed while it waited
 * (`"timeout"`), or the resource's queue already held `maxWaiting` waiters
 * (`"queue-full"`), so it did not wait at all, or the resource's permits are
 * held in Redis and Redis could not be reached (`"unavailable"`), or the
 * request held its permits in Redis and its lease could not be renewed in
 * time (`"lease-lost"`: the guarded effect was stopped so that the capacity
 * holds).
 *
 * @example
 * ```ts
 * import { BusyError } from "@effect-concurrency-limiter/effect4"
 *
 * const retryable = (reason: BusyError.Reason): boolean => reason !== "lease-lost"
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export type Reason = BusyReason.Reason

/**
 * What the 503 body is, on the wire: `{"detail":"Server busy, please retry later"}`.
 *
 * @example
 * ```ts
 * import { BusyError } from "@effect-concurrency-limiter/effect4"
 *
 * const body: BusyError.Encoded = { detail: "Server busy, please retry later" }
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Encoded {
  readonly detail: typeof detail
}

/** The body's schema: what the OpenAPI document shows under 503. */
const Body = Schema.Struct({ detail: Schema.Literal(detail) }).annotate({
  identifier: "BusyError",
  description: "The server is busy: retry later."
}).pipe(HttpApiSchema.status(Busy.status))

const ResponseHeaders = { [Busy.retryAfterHeader]: Schema.String }

/**
 * The property that marks a value as a schema (`Schema.isSchema`): the
 * Schema module keeps its constant to itself, and its type is this literal,
 * so a change in Effect fails the type check of `{ error: BusyError }`.
 */
const SchemaTypeId = "~effect/Schema/Schema" as const

/**
 * The schema of a `BusyError` in an `HttpApi`: a `BusyError` that encodes
 * to the 503 body and its `Retry-After` header.
 *
 * @since 0.6.0
 * @category models
 */
export type HttpApiErrorSchema = HttpApiSchema.encodeToWithHeaders<
  Schema.instanceOf<BusyError>,
  typeof Body,
  typeof ResponseHeaders
>

/**
 * Raised by `Limiter.withResources` when the resources of a request could not
 * all be acquired: the deadline passed while it waited, or a resource's
 * queue was full (`reason`). It names the resource and how long it waited.
 *
 * It renders itself as HTTP 503 with the body `{"detail":"Server busy, please
 * retry later"}` and a `Retry-After` header (`HttpServerRespondable`), so a
 * guarded `HttpRouter` handler needs no extra code. The class is also a
 * schema, `HttpApiError`: declare it as an `HttpApi` endpoint's error
 * (`{ error: BusyError.BusyError }`) and the app answers the same 503, byte
 * for byte and with `Retry-After`, and the OpenAPI document describes both.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { HttpRouter, HttpServerResponse } from "effect/http"
 * import { BusyError } from "@effect-concurrency-limiter/effect4"
 *
 * // Replaces the 503 with a response of your own.
 * const route = HttpRouter.add(
 *   "GET",
 *   "/messages",
 *   Effect.fail(new BusyError.BusyError({ resource: "Db", waited: Duration.seconds(1) })).pipe(
 *     Effect.catchTag("BusyError", (error) =>
 *       Effect.succeed(HttpServerResponse.text(`${error.resource} is busy (${error.reason})`, {
 *         status: 429,
 *         headers: { "retry-after": String(error.retryAfterSeconds) }
 *       })))
 *   )
 * )
 * ```
 *
 * @since 0.6.0
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

  /** @since 0.6.0 */
  override get message(): string {
    return busyMessage(this.resource, this.reason, this.reason === "timeout" ? Duration.format(this.waited) : "")
  }

  /**
   * Seconds a client should wait before retrying: the time this request
   * waited, rounded up, at least 1 — by then the queue it met has turned over.
   * A refusal for a full queue did not wait, so it says 1.
   *
   * @since 0.6.0
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
   * import { Duration, Effect } from "effect"
   * import { HttpServerRespondable } from "effect/http"
   * import { BusyError } from "@effect-concurrency-limiter/effect4"
   *
   * const error = new BusyError.BusyError({ resource: "Db", waited: Duration.millis(1_500) })
   * const response = Effect.runSync(HttpServerRespondable.toResponse(error))
   * strictEqual(response.status, 503)
   * strictEqual(response.headers["retry-after"], "2")
   * ```
   *
   * @since 0.6.0
   */
  [HttpServerRespondable.symbol]() {
    // Built as HttpApiBuilder builds `HttpApiError`'s answer (the body, then
    // the header), so that both write the same bytes, header order included.
    return Effect.succeed(
      HttpServerResponse.setHeader(
        HttpServerResponse.text(Busy.responseBody, { status: Busy.status, contentType: Busy.contentType }),
        Busy.retryAfterHeader,
        String(this.retryAfterSeconds)
      )
    )
  }

  // The class is also a schema, `HttpApiError` (defined below and read
  // lazily), so that `{ error: BusyError }` declares exactly the 503 the
  // class renders, rather than a JSON of its fields without `Retry-After`.

  /** @since 0.6.0 */
  static readonly [SchemaTypeId] = SchemaTypeId
  /** @since 0.6.0 */
  declare static readonly Type: BusyError
  /** @since 0.6.0 */
  declare static readonly Encoded: HttpApiErrorSchema["Encoded"]
  /** @since 0.6.0 */
  declare static readonly DecodingServices: never
  /** @since 0.6.0 */
  declare static readonly EncodingServices: never
  /** @since 0.6.0 */
  declare static readonly Rebuild: HttpApiErrorSchema
  /** @since 0.6.0 */
  declare static readonly Iso: HttpApiErrorSchema["Iso"]
  /** @since 0.6.0 */
  declare static readonly "~type.parameters": HttpApiErrorSchema["~type.parameters"]
  /** @since 0.6.0 */
  declare static readonly "~type.make.in": BusyError
  /** @since 0.6.0 */
  declare static readonly "~type.make": BusyError
  /** @since 0.6.0 */
  declare static readonly "~type.constructor.default": "no-default"
  /** @since 0.6.0 */
  declare static readonly "~type.mutability": "readonly"
  /** @since 0.6.0 */
  declare static readonly "~type.optionality": "required"
  /** @since 0.6.0 */
  declare static readonly "~encoded.mutability": "readonly"
  /** @since 0.6.0 */
  declare static readonly "~encoded.optionality": "required"
  /** @since 0.6.0 */
  static get ast(): HttpApiErrorSchema["ast"] {
    return HttpApiError.ast
  }
  /**
   * The class as a schema (`HttpApiError`), with more annotations.
   *
   * @example
   * ```ts
   * import { Schema } from "effect"
   * import { HttpApiEndpoint } from "effect/http-api"
   * import { BusyError } from "@effect-concurrency-limiter/effect4"
   *
   * // The same 503, described in the OpenAPI document in words of your own.
   * const list = HttpApiEndpoint.get("list", "/messages", {
   *   success: Schema.Array(Schema.String),
   *   error: BusyError.BusyError.annotate({ description: "Too many readers: retry later." })
   * })
   * ```
   *
   * @since 0.6.0
   */
  static annotate(
    annotations: Schema.Annotations.Bottom<BusyError, HttpApiErrorSchema["~type.parameters"]>
  ): HttpApiErrorSchema {
    return HttpApiError.annotate(annotations)
  }
  /** @since 0.6.0 */
  static annotateKey(annotations: Schema.Annotations.Key<BusyError>): HttpApiErrorSchema {
    return HttpApiError.annotateKey(annotations)
  }
  /** @since 0.6.0 */
  static check(
    ...checks: readonly [SchemaAST.Check<BusyError>, ...Array<SchemaAST.Check<BusyError>>]
  ): HttpApiErrorSchema {
    return HttpApiError.check(...checks)
  }
  /** @since 0.6.0 */
  static rebuild(ast: HttpApiErrorSchema["ast"]): HttpApiErrorSchema {
    return HttpApiError.rebuild(ast)
  }
  /** @since 0.6.0 */
  static make(input: BusyError, options?: Schema.MakeOptions): BusyError {
    return HttpApiError.make(input, options)
  }
  /** @since 0.6.0 */
  static makeOption(input: BusyError, options?: Schema.MakeOptions): Option.Option<BusyError> {
    return HttpApiError.makeOption(input, options)
  }
  /** @since 0.6.0 */
  static makeEffect(input: BusyError, options?: Schema.MakeOptions) {
    return HttpApiError.makeEffect(input, options)
  }
  /**
   * Makes the class pipeable, as a schema is.
   *
   * @ignore
   * @since 0.6.0
   */
  static pipe(this: unknown): unknown {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
}

/**
 * `BusyError` as an `HttpApi` endpoint error — the schema the `BusyError`
 * class itself stands for, so declaring either is the same. Declaring it
 * makes an `HttpApi` app answer exactly what an `HttpRouter` app answers:
 * status 503, the body `{"detail":"Server busy, please retry later"}` and
 * `Retry-After`; the OpenAPI document describes that body and header under
 * 503.
 *
 * How: it encodes a `BusyError` to the pair of that body and that header
 * (`HttpApiSchema.encodeToWithHeaders`), which `HttpApiBuilder` writes as
 * the response. A client that decodes the response (`HttpApiClient`) gets a
 * `BusyError` whose `resource` is `"(remote)"` and `waited` zero: the body
 * does not say which resource was busy, by design.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
 * import { BusyError } from "@effect-concurrency-limiter/effect4"
 *
 * const Messages = HttpApiGroup.make("messages").add(
 *   HttpApiEndpoint.get("list", "/messages", { success: Schema.Array(Schema.String), error: BusyError.HttpApiError })
 * )
 * ```
 *
 * @since 0.6.0
 * @category schemas
 */
export const HttpApiError: HttpApiErrorSchema = Schema.instanceOf(BusyError).pipe(
  HttpApiSchema.encodeToWithHeaders({ body: Body, headers: ResponseHeaders }, {
    decode: () => new BusyError({ resource: "(remote)", waited: Duration.zero }),
    encode: (error) => ({
      body: { detail },
      headers: { [Busy.retryAfterHeader]: String(error.retryAfterSeconds) }
    })
  })
)
