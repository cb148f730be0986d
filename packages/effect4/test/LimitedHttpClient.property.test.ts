/**
 * Random workloads of limited-client calls against an upstream that counts
 * what it is doing, on Effect 4's TestClock: random start times, serving
 * times, 503s retried (with or without `Retry-After`), bodies read after a
 * while or never, calls in a scope of their own or in none, interruptions
 * at random moments — queued, in flight, waiting to retry, reading.
 *
 * The model: the upstream never serves, nor has a body read, for more
 * calls at once than the resource's capacity (a body counts while it is
 * read, when its reading began before `unreadBodyTimeout`); every call
 * ends with the upstream's last answer, a `BusyError` or, only when asked,
 * an interruption; at quiescence nothing is held, in use or waiting. The
 * Effect 3 line's LimitedHttpClient.model.property.test.ts checks the same
 * against its own model.
 */
import { BusyError, LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as UrlParams from "effect/http/UrlParams"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { outsideAnyScope, usage } from "./utils/FakeUpstream.js"

const CAPACITY = 2
const UNREAD_MS = 10
const Api = Resource.make("Api", { capacity: CAPACITY })

const call = fc.record({
  start: fc.integer({ min: 0, max: 100 }),
  /** How long the upstream serves each attempt before its headers. */
  hold: fc.integer({ min: 0, max: 30 }),
  /** How many attempts the upstream answers 503 before a 200 (3: the retries are spent). */
  failFirst: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  retryAfter: fc.constantFrom(undefined, "0", "Thu, 01 Jan 1970 00:00:00 GMT"),
  /** When the body is read after the headers (never exactly at UNREAD_MS: a tie with the timer); `undefined`: never. */
  readAfter: fc.option(fc.oneof(fc.integer({ min: 0, max: UNREAD_MS - 1 }), fc.integer({ min: UNREAD_MS + 1, max: 25 })), {
    nil: undefined,
    freq: 4
  }),
  readMillis: fc.integer({ min: 0, max: 20 }),
  scoped: fc.boolean(),
  interruptAt: fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined, freq: 3 })
})

type Call = typeof call extends fc.Arbitrary<infer T> ? T : never

/** A response whose body takes `readMillis` of the TestClock to read, counted as occupancy while it is read. */
class TimedResponse implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId] = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId] = HttpIncomingMessage.TypeId
  readonly cookies = Cookies.empty
  readonly remoteAddress = Option.none<string>()
  readonly headers: Headers.Headers
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    headers: Record<string, string>,
    private readonly body: Effect.Effect<string>
  ) {
    this.headers = Headers.fromInput(headers)
  }
  get url() {
    return this.request.url
  }
  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return this.body
  }
  get json() {
    return Effect.as(this.body, null)
  }
  get arrayBuffer() {
    return Effect.as(this.body, new ArrayBuffer(0))
  }
  get formData() {
    return Effect.as(this.body, new FormData())
  }
  get urlParamsBody() {
    return Effect.as(this.body, UrlParams.empty)
  }
  get upgrade(): Effect.Effect<never, HttpClientError.HttpClientError> {
    return Effect.die("no upgrade")
  }
  get stream() {
    return Stream.fromEffect(Effect.as(this.body, new Uint8Array()))
  }
  toJSON() {
    return { status: this.status }
  }
  toString() {
    return `TimedResponse(${this.status})`
  }
  [Inspectable.NodeInspectSymbol]() {
    return this.toJSON()
  }
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
}

const runScenario = (
  calls: ReadonlyArray<Call>,
  before: Effect.Effect<void, never, Resource.Resource.Identifier<"Api">> = Effect.void
): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    yield* before
    const violations: Array<string> = []
    let occupied = 0
    const attempts = new Map<number, number>()
    const occupy = (what: string) =>
      Effect.sync(() => {
        occupied++
        if (occupied > CAPACITY) violations.push(`${what}: ${occupied} calls served or read at once > ${CAPACITY}`)
      })
    const vacate = Effect.sync(() => void occupied--)

    /** The upstream: serves `hold` ms, then 503 for the first `failFirst` attempts of a call, else 200. */
    const upstream = HttpClient.makeWith(
      Effect.flatMap((request: HttpClientRequest.HttpClientRequest) =>
        Effect.gen(function*() {
          const i = Number(request.url.split("/").at(-1))
          const c = calls[i]
          const attempt = (attempts.get(i) ?? 0) + 1
          attempts.set(i, attempt)
          yield* occupy(`#${i} served`)
          yield* Effect.sleep(Duration.millis(c.hold)).pipe(Effect.ensuring(vacate))
          const headersAt = yield* Clock.currentTimeMillis
          const body = Effect.gen(function*() {
            // A body read once its permits went back (nobody read it in time) is not counted.
            const counted = (yield* Clock.currentTimeMillis) - headersAt < UNREAD_MS
            if (counted) yield* occupy(`#${i} read`)
            yield* Effect.sleep(Duration.millis(c.readMillis)).pipe(Effect.ensuring(counted ? vacate : Effect.void))
            return "body"
          })
          const refused = attempt <= c.failFirst
          const headers: Record<string, string> = refused && c.retryAfter !== undefined ? { "retry-after": c.retryAfter } : {}
          return new TimedResponse(request, refused ? 503 : 200, headers, body) as HttpClientResponse.HttpClientResponse
        })
      ),
      Effect.succeed<HttpClientRequest.HttpClientRequest>
    )
    const client = yield* LimitedHttpClient.make(upstream, {
      resources: [Api],
      retry: { times: 2, backoff: "5 millis" },
      unreadBodyTimeout: Duration.millis(UNREAD_MS)
    })

    const run = (c: Call, i: number) =>
      Effect.gen(function*() {
        yield* Effect.sleep(Duration.millis(c.start))
        const exchange = Effect.gen(function*() {
          const response = yield* client.get(`http://api.test/items/${i}`)
          if (c.readAfter !== undefined) {
            yield* Effect.sleep(Duration.millis(c.readAfter))
            yield* response.text
          }
          return response.status
        })
        return yield* Effect.exit(c.scoped ? Effect.scoped(exchange) : outsideAnyScope(exchange))
      })

    const fibers = yield* Effect.forEach(calls, (c, i) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(run(c, i))
        if (c.interruptAt !== undefined) {
          yield* Effect.forkChild(Effect.andThen(Effect.sleep(Duration.millis(c.interruptAt)), Fiber.interrupt(fiber)))
        }
        return fiber
      }))

    // Every start, answer, retry, read, unread timer and interruption, each at its own moment.
    yield* TestClock.adjust(1000)

    const exits = yield* Effect.forEach(fibers, Fiber.await)
    exits.forEach((exit, i) => {
      const c = calls[i]
      if (Exit.isFailure(exit) || (Exit.isFailure(exit.value) && Cause.hasInterruptsOnly(exit.value.cause))) {
        if (c.interruptAt === undefined) violations.push(`#${i} was interrupted without being asked to`)
        return
      }
      const inner = exit.value
      if (Exit.isSuccess(inner)) {
        const expected = c.failFirst > 2 ? 503 : 200
        if (inner.value !== expected) violations.push(`#${i} answered ${inner.value}, expected ${expected}`)
        return
      }
      if (!(Cause.squash(inner.cause) instanceof BusyError.BusyError)) violations.push(`#${i} ended with ${Cause.pretty(inner.cause)}`)
    })
    if (occupied !== 0) violations.push(`still served or read at quiescence: ${occupied}`)
    const left = yield* usage
    if (left.Api[0] !== 0 || left.Api[1] !== 0) violations.push(`permits leaked or waiters left behind: ${JSON.stringify(left)}`)
    return violations
  }).pipe(
    Effect.scoped,
    Effect.provide(Limiter.layer({ timeout: "50 millis", resources: [Api] })),
    Effect.orDie,
    Effect.provide(TestClock.layer())
  )

describe("LimitedHttpClient under random workloads", () => {
  it("never serves or reads for more calls than the capacity, ends every call as it should, leaks nothing", () =>
    fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 20, size: "medium" }), async (calls) => {
        const violations = await Effect.runPromise(runScenario(calls))
        if (violations.length > 0) throw new Error(violations.join("\n"))
      }),
      { numRuns: 150 }
    ), 120_000)

  it("the model sees a resource that admits more than its capacity", async () => {
    // A check of the check: Api grown behind the model's back; three calls served at once.
    const busy: Call = {
      start: 0,
      hold: 10,
      failFirst: 0,
      retryAfter: undefined,
      readAfter: 0,
      readMillis: 0,
      scoped: true,
      interruptAt: undefined
    }
    const crowded = await Effect.runPromise(
      runScenario([busy, busy, busy], Effect.flatMap(Api, (semaphore) => semaphore.resize(3)))
    )
    if (!crowded.some((violation) => violation.includes("at once > 2"))) throw new Error(`not seen: ${crowded.join("; ")}`)
  })
})
