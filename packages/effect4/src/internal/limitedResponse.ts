/**
 * A response that holds its call's permits until its body has been read.
 *
 * @internal
 */
import { hasNoBody, isFailureStatus } from "@effect-concurrency-limiter/core/outbound/exchange"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as Inspectable from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * How the call ended, for the permits' release (and so for an adaptive
 * limit): a 429 or a 5xx is a failure to learn from (`isFailureStatus`).
 *
 * @internal
 */
export const endingOf = (response: HttpClientResponse.HttpClientResponse): Exit.Exit<void, number> =>
  isFailureStatus(response.status) ? Exit.fail(response.status) : Exit.void

/** The permits of a body nobody started reading go back as an interruption would: the hold says nothing of the upstream. */
const unread = Exit.interrupt()

/**
 * A response whose permits are held by `scope`: reading the body to its
 * end (or failing, or being interrupted while reading) closes the scope and
 * releases them, ended as the call ended. A body nobody has started to read
 * `unreadBodyTimeout` after the headers arrived gives them back then (it
 * stays readable, without a permit). Everything else is the original
 * response's.
 *
 * The body is not handed over as a Web `Response` (`HttpClientResponse.toWeb`
 * answers `None`): its reading could not be followed, so its permits would
 * go back before it ends.
 */
class LimitedResponse implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId] = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId] = HttpIncomingMessage.TypeId
  private reading = false
  timer: Fiber.Fiber<void> | undefined = undefined

  constructor(
    readonly original: HttpClientResponse.HttpClientResponse,
    readonly scope: Scope.Closeable,
    readonly ending: Exit.Exit<void, number>
  ) {}

  /** The first read claims the permits for itself: the unread timer stops. */
  private claim(): boolean {
    if (this.reading) return false
    this.reading = true
    this.timer?.interruptUnsafe()
    return true
  }

  /** Fired by the timer: nobody started reading in time. */
  readonly expire: Effect.Effect<void> = Effect.suspend(() => this.reading ? Effect.void : Scope.close(this.scope, unread))

  private done(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    return Scope.close(this.scope, Exit.isSuccess(exit) ? this.ending : exit)
  }

  private whileReading<A, E>(body: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.suspend(() => this.claim() ? Effect.onExit(body, (exit) => this.done(exit)) : body)
  }

  get request() {
    return this.original.request
  }
  get url() {
    return this.original.url
  }
  get status() {
    return this.original.status
  }
  get headers() {
    return this.original.headers
  }
  get cookies() {
    return this.original.cookies
  }
  get remoteAddress() {
    return this.original.remoteAddress
  }
  get formData() {
    return this.whileReading(this.original.formData)
  }
  get text() {
    return this.whileReading(this.original.text)
  }
  get json() {
    return this.whileReading(this.original.json)
  }
  get urlParamsBody() {
    return this.whileReading(this.original.urlParamsBody)
  }
  get arrayBuffer() {
    return this.whileReading(this.original.arrayBuffer)
  }
  /** A `101`'s connection, handed over: the exchange the permits were for is over. */
  get upgrade() {
    return this.whileReading(this.original.upgrade)
  }
  get stream() {
    return Stream.unwrap(Effect.sync(() =>
      this.claim() ? Stream.onExit(this.original.stream, (exit) => this.done(exit)) : this.original.stream
    ))
  }
  toJSON() {
    return this.original.toJSON()
  }
  toString() {
    return this.original.toString()
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
}

/**
 * Hands the permits held by `scope` to the response: a body to read gets
 * the unread timer, forked into the client's scope (closing the client
 * stops it, and the fork is interruptible whatever the attempt's region)
 * and stopped when the permits go back some other way. A response with
 * nothing to read gives them back at once.
 *
 * @internal
 */
export const respond = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  scope: Scope.Closeable,
  options: { readonly unreadBodyTimeout: Duration.Duration; readonly clientScope: Scope.Scope }
): Effect.Effect<HttpClientResponse.HttpClientResponse> => {
  if (hasNoBody(request.method, response.status, response.headers["content-length"])) {
    return Effect.as(Scope.close(scope, endingOf(response)), response)
  }
  const limited = new LimitedResponse(response, scope, endingOf(response))
  return Effect.sleep(options.unreadBodyTimeout).pipe(
    Effect.andThen(limited.expire),
    Effect.forkIn(options.clientScope),
    Effect.flatMap((timer) => {
      limited.timer = timer
      return Scope.addFinalizer(scope, Effect.sync(() => timer.interruptUnsafe()))
    }),
    Effect.as(limited)
  )
}
