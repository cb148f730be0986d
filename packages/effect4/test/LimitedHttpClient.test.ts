/**
 * The limited client against a fake upstream (no sockets), time driven by
 * the TestClock: permits per response body, the rate, the retry policy and
 * its timing for every `Retry-After` form, and interruption at each wait.
 * The Effect 3 line's test/LimitedHttpClient.test.ts, case for case.
 */
import { BusyError, LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { type Answer, controlledBody, fakeClient, pendingDelay, sleepers, tick, until, usage } from "./utils/FakeUpstream.js"

const Api = Resource.make("Api", { capacity: 2 })
const Other = Resource.make("Other", { capacity: 1 })

const LimiterLive = Limiter.layer({ timeout: "1 minute", resources: [Api, Other] })

const URL = "http://api.test/items/1"

/** A limited client over a fake upstream that answers `answer`, and the fake's call log. */
const setup = (
  answer: (request: HttpClientRequest.HttpClientRequest, n: number) => Answer,
  options: Omit<LimitedHttpClient.Options<[typeof Api]>, "resources"> = {}
) =>
  Effect.gen(function*() {
    const fake = fakeClient(answer)
    const client = yield* LimitedHttpClient.make(fake.client, { resources: [Api], ...options })
    return { client, calls: fake.calls }
  })

const status = <E>(response: Effect.Effect<{ status: number; text: Effect.Effect<string, E> }, E>) =>
  Effect.flatMap(response, (r) => Effect.as(r.text, r.status))

const idle = { Api: [0, 0], Other: [0, 0] }

/** A response whose body the test writes, chunk by chunk. */
const streamingResponse = Effect.gen(function*() {
  const body = controlledBody()
  const { client } = yield* setup(() => ({ body: body.stream }))
  return { body, response: yield* client.get(URL) }
})

const transportFailure = (request: HttpClientRequest.HttpClientRequest, description: string) =>
  new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, description }) })

describe("LimitedHttpClient: the permit lives as long as the response body", () => {
  it.effect("held after the headers, released once the body is read", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(() => ({ body: "hello" }))
      const response = yield* client.get(URL)
      assert.deepStrictEqual(yield* usage, { Api: [1, 0], Other: [0, 0] })
      assert.strictEqual(yield* response.text, "hello")
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a streaming body: held until the stream ends", () =>
    Effect.gen(function*() {
      const { body, response } = yield* streamingResponse
      const chunks: Array<string> = []
      const reader = yield* response.stream.pipe(
        Stream.decodeText(),
        Stream.runForEach((chunk) => Effect.sync(() => chunks.push(chunk))),
        Effect.forkChild
      )
      body.push("first")
      yield* until(Effect.sync(() => chunks.length === 1), "the first chunk")
      assert.deepStrictEqual(yield* usage, { Api: [1, 0], Other: [0, 0] }, "still streaming: still held")
      body.push("second")
      body.close()
      yield* Fiber.join(reader)
      assert.deepStrictEqual(chunks, ["first", "second"])
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a stream interrupted half-way releases it", () =>
    Effect.gen(function*() {
      const { body, response } = yield* streamingResponse
      const reader = yield* response.stream.pipe(Stream.runDrain, Effect.forkChild)
      body.push("first")
      yield* tick
      assert.deepStrictEqual(yield* usage, { Api: [1, 0], Other: [0, 0] })
      yield* Fiber.interrupt(reader)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a body never read: released when the request's scope closes", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(() => ({ body: "never read" }))
      const scope = yield* Scope.make()
      yield* client.get(URL).pipe(Scope.provide(scope))
      assert.deepStrictEqual(yield* usage, { Api: [1, 0], Other: [0, 0] })
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a body read inside a long-lived scope is released when read, not when the scope closes", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(() => ({ body: "x" }))
      for (let i = 0; i < 5; i++) yield* status(client.get(URL))
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  for (
    const [name, method, answer] of [
      ["HEAD", "HEAD", { body: null }],
      ["204", "GET", { status: 204, body: null }],
      ["content-length: 0", "GET", { headers: { "content-length": "0" }, body: "" }]
    ] as const
  ) {
    it.effect(`nothing to read (${name}): released with the headers`, () =>
      Effect.gen(function*() {
        const { client } = yield* setup(() => answer)
        const response = yield* client.execute(HttpClientRequest.make(method)(URL))
        assert.strictEqual(response.status, "status" in answer ? answer.status : 200)
        assert.deepStrictEqual(yield* usage, idle)
      }).pipe(Effect.provide(LimiterLive)))
  }

  it.effect("a request that fails (connection refused) gives its permit back and fails as it did", () =>
    Effect.gen(function*() {
      const refused = HttpClient.make((request) => Effect.fail(transportFailure(request, "ECONNREFUSED")))
      const client = yield* LimitedHttpClient.make(refused, { resources: [Api], retry: {} })
      const error = yield* client.get(URL).pipe(Effect.flip)
      assert.instanceOf(error, HttpClientError.HttpClientError)
      const reason = (error as HttpClientError.HttpClientError).reason
      assert.strictEqual(reason._tag, "TransportError")
      assert.strictEqual((reason as HttpClientError.TransportError).description, "ECONNREFUSED")
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("no permit, no request: a full resource queues, and BusyError past the limiter's deadline", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Other], timeout: "3 seconds", unreadBodyTimeout: "1 hour" })
      const first = yield* client.get(URL)
      const second = yield* client.get(URL).pipe(Effect.exit, Effect.forkChild)
      yield* until(Effect.map(usage, (u) => u.Other[1] === 1), "queued")
      assert.deepStrictEqual(yield* usage, { Api: [0, 0], Other: [1, 1] })
      assert.strictEqual(fake.calls.length, 1, "the queued request was not sent")
      yield* TestClock.adjust("3 seconds")
      const exit = yield* Fiber.join(second)
      assert.isTrue(Exit.isFailure(exit))
      const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
      assert.instanceOf(error, BusyError.BusyError)
      assert.strictEqual((error as BusyError.BusyError).resource, "Other")
      yield* first.text
      assert.deepStrictEqual(yield* usage, idle)
      assert.strictEqual(fake.calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))
})

describe("LimitedHttpClient: interruption leaves no permit taken", () => {
  it.effect("while queued for a permit", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Other] })
      const holder = yield* client.get(URL)
      const queued = yield* client.get(URL).pipe(Effect.forkChild)
      yield* until(Effect.map(usage, (u) => u.Other[1] === 1), "queued")
      yield* Fiber.interrupt(queued)
      assert.deepStrictEqual(yield* usage, { Api: [0, 0], Other: [1, 0] })
      yield* holder.text
      assert.deepStrictEqual(yield* usage, idle)
      assert.strictEqual(fake.calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("while waiting for the rate limiter (holding a permit)", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({}), { rate: { limit: 1, interval: "1 second" } })
      yield* status(client.get(URL))
      const waiting = yield* status(client.get(URL)).pipe(Effect.forkChild)
      yield* until(Effect.map(usage, (u) => u.Api[0] === 1), "the second request holds its permit")
      yield* tick
      assert.strictEqual(calls.length, 1, "not sent before its token")
      yield* Fiber.interrupt(waiting)
      assert.deepStrictEqual(yield* usage, idle)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("while sleeping before a retry (the permit was already given back)", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({ status: 429, headers: { "retry-after": "10" } }), { retry: {} })
      const fiber = yield* status(client.get(URL)).pipe(Effect.forkChild)
      yield* sleepers(1)
      assert.deepStrictEqual(yield* usage, idle, "nothing held while sleeping")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(calls.length, 1)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("while in flight, before the headers", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const hanging = HttpClient.make((request) => Effect.andThen(Effect.sync(() => sent.push(request.url)), Effect.never))
      const client = yield* LimitedHttpClient.make(hanging, { resources: [Api] })
      const fiber = yield* client.get(URL).pipe(Effect.forkChild)
      yield* until(Effect.sync(() => sent.length === 1), "sent")
      assert.deepStrictEqual(yield* usage, { Api: [1, 0], Other: [0, 0] })
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("while reading the body", () =>
    Effect.gen(function*() {
      const body = controlledBody()
      const { client } = yield* setup(() => ({ body: body.stream }))
      const reading = yield* client.get(URL).pipe(Effect.flatMap((r) => r.text), Effect.forkChild)
      yield* until(Effect.map(usage, (u) => u.Api[0] === 1), "the response arrived")
      body.push("partial")
      yield* tick
      yield* Fiber.interrupt(reading)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))
})

describe("LimitedHttpClient: rate (Effect 4's RateLimiter)", () => {
  it.effect("a token per request, taken after the permit", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({}), { rate: { limit: 2, interval: "1 second", algorithm: "fixed-window" } })
      const all = yield* Effect.forEach([1, 2, 3, 4, 5], () => status(client.get(URL)), { concurrency: "unbounded" }).pipe(
        Effect.forkChild
      )
      yield* until(Effect.sync(() => calls.length === 2), "the first window's two")
      yield* tick
      assert.strictEqual(calls.length, 2)
      // Two permits: both held by requests waiting for the next window; the rest queue for a permit.
      assert.deepStrictEqual(yield* usage, { Api: [2, 1], Other: [0, 0] })
      yield* TestClock.adjust("1 second")
      yield* until(Effect.sync(() => calls.length === 4), "the second window's two")
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(all), [200, 200, 200, 200, 200])
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("token-bucket: starts full, then one token per interval / limit", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({}), { rate: { limit: 2, interval: "1 second" } })
      const all = yield* Effect.forEach([1, 2, 3, 4], () => status(client.get(URL)), { concurrency: "unbounded" }).pipe(
        Effect.forkChild
      )
      yield* until(Effect.sync(() => calls.length === 2), "the bucket's two")
      yield* TestClock.adjust("499 millis")
      yield* tick
      assert.strictEqual(calls.length, 2, "no token before 500 ms")
      yield* TestClock.adjust("1 millis")
      yield* until(Effect.sync(() => calls.length === 3), "a token after 500 ms")
      yield* TestClock.adjust("500 millis")
      assert.deepStrictEqual(yield* Fiber.join(all), [200, 200, 200, 200])
    }).pipe(Effect.provide(LimiterLive)))
})

/** Jittered sleeps leave the clock at fractional millis: 3000 can come out as 2999.9999999999995. */
const within = (delay: number, low: number, high: number) => delay >= low - 1e-6 && delay <= high + 1e-6

/** Runs one GET that the fake answers with `first` and then 200; checks that the retry comes after a delay within `bounds` (ms). */
const retryDelay = (first: Answer, options: LimitedHttpClient.RetryOptions, bounds: readonly [number, number]) =>
  Effect.gen(function*() {
    const { calls, client } = yield* setup((_, n) => n === 1 ? first : {}, { retry: options })
    const fiber = yield* status(client.get(URL)).pipe(Effect.forkChild)
    const [low, high] = bounds
    if (high > 0) {
      const delay = yield* pendingDelay
      assert.isTrue(within(delay, low, high), `delay ${delay} ms within [${low}, ${high}]`)
      assert.deepStrictEqual(yield* usage, idle, "the permit is given back while waiting")
      yield* TestClock.adjust(delay - 1)
      yield* tick
      assert.strictEqual(calls.length, 1, `not retried before ${delay} ms`)
      yield* TestClock.adjust(1)
    }
    assert.strictEqual(yield* Fiber.join(fiber), 200)
    assert.strictEqual(calls.length, 2)
    assert.deepStrictEqual(yield* usage, idle)
  }).pipe(Effect.provide(LimiterLive))

describe("LimitedHttpClient: retry timing (TestClock)", () => {
  it.effect("Retry-After in seconds", () => retryDelay({ status: 429, headers: { "retry-after": "3" } }, {}, [3000, 3000]))

  it.effect("Retry-After as an HTTP date (the TestClock starts at the epoch)", () =>
    retryDelay({ status: 503, headers: { "retry-after": "Thu, 01 Jan 1970 00:00:05 GMT" } }, {}, [5000, 5000]))

  it.effect("Retry-After as an HTTP date already past: at once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      yield* retryDelay({ status: 429, headers: { "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" } }, {}, [0, 0])
    }))

  it.effect("Retry-After of zero seconds: at once", () => retryDelay({ status: 429, headers: { "retry-after": "0" } }, {}, [0, 0]))

  it.effect("Retry-After absurdly large: capped at maxDelay", () =>
    retryDelay({ status: 429, headers: { "retry-after": "99999999999" } }, { maxDelay: "10 seconds" }, [10_000, 10_000]))

  it.effect("Retry-After as a date years ahead: capped at maxDelay", () =>
    retryDelay({ status: 429, headers: { "retry-after": "Fri, 01 Jan 2100 00:00:00 GMT" } }, { maxDelay: "4 seconds" }, [
      4000,
      4000
    ]))

  // Jitter draws ×0.8–1.2 of the backoff: the retry comes within those bounds, whatever the draw.
  it.effect("no Retry-After: exponential backoff with jitter", () => retryDelay({ status: 429 }, { backoff: "1 second" }, [800, 1200]))

  for (const malformed of ["soon", "-5", "1.5", "2026-11-25T12:00:00Z", ""]) {
    it.effect(`malformed Retry-After ${JSON.stringify(malformed)}: the backoff`, () =>
      retryDelay({ status: 429, headers: { "retry-after": malformed } }, { backoff: "1 second" }, [800, 1200]))
  }

  it.effect("the backoff doubles each retry and is capped at maxDelay", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({ status: 503 }), { retry: { times: 4, backoff: "1 second", maxDelay: "3 seconds" } })
      const fiber = yield* status(client.get(URL)).pipe(Effect.forkChild)
      // Windows of the n-th retry: 1 s, 2 s, then 4 s and 8 s capped at 3 s, each jittered ×0.8–1.2 before the cap.
      const windows = [[800, 1200], [1600, 2400], [3000, 3000], [3000, 3000]] as const
      for (const [i, [low, high]] of windows.entries()) {
        const delay = yield* pendingDelay
        assert.isTrue(within(delay, low, high), `retry ${i + 1}: delay ${delay} ms within [${low}, ${high}]`)
        yield* TestClock.adjust(delay)
        yield* until(Effect.sync(() => calls.length === i + 2), `retry ${i + 1}`)
      }
      assert.strictEqual(yield* Fiber.join(fiber), 503, "the retries are spent: the caller gets the last answer")
      assert.strictEqual(calls.length, 5)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("times: 0 never retries", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({ status: 429, headers: { "retry-after": "1" } }), { retry: { times: 0 } })
      assert.strictEqual(yield* status(client.get(URL)), 429)
      assert.strictEqual(calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("only the listed statuses are retried", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({ status: 500, headers: { "retry-after": "1" } }), { retry: {} })
      assert.strictEqual(yield* status(client.get(URL)), 500)
      assert.strictEqual(calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("without a retry policy a 429 goes to the caller as it came", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup(() => ({ status: 429, headers: { "retry-after": "1" } }))
      assert.strictEqual(yield* status(client.get(URL)), 429)
      assert.strictEqual(calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("each call has its own backoff: a second call starts again from the first delay", () =>
    Effect.gen(function*() {
      const { client } = yield* setup((_, n) => n === 1 || n === 3 ? { status: 503 } : {}, { retry: { backoff: "1 second" } })
      for (let call = 1; call <= 2; call++) {
        const fiber = yield* status(client.get(URL)).pipe(Effect.forkChild)
        const delay = yield* pendingDelay
        assert.isTrue(within(delay, 800, 1200), `call ${call}: delay ${delay} ms within [800, 1200]`)
        yield* TestClock.adjust(delay)
        assert.strictEqual(yield* Fiber.join(fiber), 200)
      }
    }).pipe(Effect.provide(LimiterLive)))
})
