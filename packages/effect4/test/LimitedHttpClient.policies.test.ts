/**
 * The limited client's policies around the permit: which methods are
 * retried, one policy per host, the layer's wrapping of a refusal as a
 * request error that retry policies leave alone, and `parseRetryAfter`.
 * The rest of the Effect 3 line's test/LimitedHttpClient.test.ts.
 */
import { BusyError, LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/testing/TestClock"
import { type Answer, fakeClient, sleepers, until, usage } from "./utils/FakeUpstream.js"

const Api = Resource.make("Api", { capacity: 2 })
const Other = Resource.make("Other", { capacity: 1 })

const LimiterLive = Limiter.layer({ timeout: "1 minute", resources: [Api, Other] })

const URL = "http://api.test/items/1"

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

describe("LimitedHttpClient: non-idempotent methods", () => {
  const refusal = { status: 429, headers: { "retry-after": "1" } }

  for (const method of ["POST", "PATCH"] as const) {
    it.effect(`${method} is not retried by default`, () =>
      Effect.gen(function*() {
        const { calls, client } = yield* setup(() => refusal, { retry: {} })
        assert.strictEqual(yield* status(client.execute(HttpClientRequest.make(method)(URL))), 429)
        assert.strictEqual(calls.length, 1)
        assert.deepStrictEqual(yield* usage, idle)
      }).pipe(Effect.provide(LimiterLive)))
  }

  it.effect("POST is retried when nonIdempotent is set", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup((_, n) => n === 1 ? refusal : {}, { retry: { nonIdempotent: true } })
      const fiber = yield* status(client.execute(HttpClientRequest.post(URL))).pipe(Effect.forkChild)
      yield* sleepers(1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), 200)
      assert.deepStrictEqual(calls.map((c) => c.method), ["POST", "POST"])
    }).pipe(Effect.provide(LimiterLive)))

  for (const method of ["PUT", "DELETE", "OPTIONS"] as const) {
    it.effect(`${method} is idempotent: retried`, () =>
      Effect.gen(function*() {
        const { calls, client } = yield* setup((_, n) => n === 1 ? refusal : {}, { retry: {} })
        const fiber = yield* status(client.execute(HttpClientRequest.make(method)(URL))).pipe(Effect.forkChild)
        yield* sleepers(1)
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* Fiber.join(fiber), 200)
        assert.strictEqual(calls.length, 2)
      }).pipe(Effect.provide(LimiterLive)))
  }
})

describe("LimitedHttpClient.makeKeyed: a resource per host", () => {
  it.effect("each host is limited by its own resource; other hosts pass through", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const client = yield* LimitedHttpClient.makeKeyed(fake.client, {
        "api.test": { resources: [Api] },
        "other.test:8080": { resources: [Other], retry: {} }
      })
      const a1 = yield* client.get("http://api.test/a")
      const a2 = yield* client.get("https://api.test/b")
      const o1 = yield* client.get("http://other.test:8080/c")
      assert.deepStrictEqual(yield* usage, { Api: [2, 0], Other: [1, 0] })

      // Other is full: a second call to other.test queues, while api.test and unknown hosts are not held up.
      const o2 = yield* status(client.get("http://other.test:8080/d")).pipe(Effect.forkChild)
      yield* until(Effect.map(usage, (u) => u.Other[1] === 1), "other.test queued")
      const free = yield* status(client.get("http://elsewhere.test/e"))
      assert.strictEqual(free, 200)
      assert.deepStrictEqual(yield* usage, { Api: [2, 0], Other: [1, 1] })

      yield* o1.text
      assert.strictEqual(yield* Fiber.join(o2), 200)
      yield* a1.text
      yield* a2.text
      assert.deepStrictEqual(yield* usage, idle)
      assert.deepStrictEqual(fake.calls.map((c) => c.url), [
        "http://api.test/a",
        "https://api.test/b",
        "http://other.test:8080/c",
        "http://elsewhere.test/e",
        "http://other.test:8080/d"
      ])
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("each host has its own retry policy", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({ status: 429, headers: { "retry-after": "0" } }))
      const client = yield* LimitedHttpClient.makeKeyed(fake.client, {
        "api.test": { resources: [Api], retry: { times: 2 } },
        "other.test": { resources: [Other] }
      })
      assert.strictEqual(yield* status(client.get("http://api.test/")), 429)
      assert.strictEqual(fake.calls.length, 3)
      assert.strictEqual(yield* status(client.get("http://other.test/")), 429)
      assert.strictEqual(fake.calls.length, 4)
    }).pipe(Effect.provide(LimiterLive)))
})

describe("LimitedHttpClient.layer", () => {
  it.effect("decorates the HttpClient in context; a BusyError arrives as a request error that is not a transport failure", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const layer = LimitedHttpClient.layer({ resources: [Other], timeout: "1 second", unreadBodyTimeout: "1 hour" }).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
      )
      yield* Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        const held = yield* client.get(URL)
        const busy = yield* client.get(URL).pipe(Effect.flip, Effect.forkChild)
        yield* until(Effect.map(usage, (u) => u.Other[1] === 1), "queued")
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(busy)
        assert.instanceOf(error, HttpClientError.HttpClientError)
        assert.isTrue(LimitedHttpClient.isBusy(error))
        assert.strictEqual(error.reason._tag, "EncodeError")
        assert.instanceOf(error.reason.cause, BusyError.BusyError)
        assert.instanceOf(error.cause, BusyError.BusyError)
        assert.match(error.message, /refused locally, not sent/)
        yield* held.text
        const transport = new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({ request: HttpClientRequest.get(URL) })
        })
        assert.isFalse(LimitedHttpClient.isBusy(transport))
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(yield* usage, idle)
      assert.strictEqual(fake.calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  /**
   * Holds the only permit with one call (its body read afterwards), then
   * makes a second call through `HttpClient.retryTransient`: answers its
   * error, after checking that it was attempted once — a local refusal is
   * not a transient failure to retry.
   */
  const refusedUnderRetryTransient = <E>(limited: HttpClient.HttpClient.With<E>) =>
    Effect.gen(function*() {
      let attempts = 0
      const client = limited.pipe(
        HttpClient.transform((send) => Effect.andThen(Effect.sync(() => attempts++), send)),
        HttpClient.retryTransient({ times: 3 })
      )
      const held = yield* client.get(URL)
      attempts = 0
      const error = yield* Effect.flip(client.get(URL))
      assert.strictEqual(attempts, 1, "attempted once")
      yield* held.text
      return error
    })

  it.effect("HttpClient.retryTransient does not retry a local refusal: one attempt, the BusyError inside", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const layer = LimitedHttpClient.layer({ resources: [Other], timeout: 0, unreadBodyTimeout: "1 hour" }).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
      )
      const error = yield* Effect.flatMap(HttpClient.HttpClient, refusedUnderRetryTransient).pipe(Effect.provide(layer))
      assert.isTrue(LimitedHttpClient.isBusy(error))
      assert.deepStrictEqual(yield* usage, idle)
      assert.strictEqual(fake.calls.length, 1)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("make: HttpClient.retryTransient does not retry a BusyError either", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const limited = yield* LimitedHttpClient.make(fake.client, { resources: [Other], timeout: 0, unreadBodyTimeout: "1 hour" })
      const error = yield* refusedUnderRetryTransient(limited)
      assert.instanceOf(error, BusyError.BusyError)
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("layerKeyed", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const layer = LimitedHttpClient.layerKeyed({ "api.test": { resources: [Api] } }).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
      )
      yield* Effect.gen(function*() {
        const response = yield* HttpClient.get("http://api.test/x")
        assert.deepStrictEqual(yield* usage, { Api: [1, 0], Other: [0, 0] })
        yield* response.text
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(yield* usage, idle)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a disabled limiter guards nothing, and retries still apply", () =>
    Effect.gen(function*() {
      const { calls, client } = yield* setup((_, n) => n === 1 ? { status: 429, headers: { "retry-after": "1" } } : {}, {
        retry: {}
      })
      const fiber = yield* status(client.get(URL)).pipe(Effect.forkChild)
      yield* sleepers(1)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), 200)
      assert.strictEqual(calls.length, 2)
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Api], enabled: false }))))
})

describe("LimitedHttpClient.parseRetryAfter", () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0)
  const parse = (value: string | undefined, max: Duration.Input = "1 hour") =>
    Option.map(LimitedHttpClient.parseRetryAfter(value, { now, max }), Duration.toMillis)

  it("delta-seconds", () => {
    assert.deepStrictEqual(parse("120"), Option.some(120_000))
    assert.deepStrictEqual(parse(" 7 "), Option.some(7000))
    assert.deepStrictEqual(parse("0"), Option.some(0))
  })

  it("HTTP dates in the three forms RFC 9110 requires", () => {
    assert.deepStrictEqual(parse("Tue, 25 Nov 2026 12:00:30 GMT"), Option.some(30_000))
    assert.deepStrictEqual(parse("Tuesday, 25-Nov-26 12:01:00 GMT"), Option.some(60_000))
    assert.deepStrictEqual(parse("Tue Nov 25 12:00:10 2026"), Option.some(10_000))
    assert.deepStrictEqual(parse(new Date(now + 2500).toUTCString()), Option.some(2000), "whole seconds: toUTCString drops the millis")
  })

  it("a date now or past: zero", () => {
    assert.deepStrictEqual(parse("Tue, 25 Nov 2026 12:00:00 GMT"), Option.some(0))
    assert.deepStrictEqual(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Option.some(0))
  })

  it("absurdly large: capped at max, exactly max", () => {
    assert.deepStrictEqual(parse("86400", "30 seconds"), Option.some(30_000))
    assert.deepStrictEqual(parse("9".repeat(400), "30 seconds"), Option.some(30_000))
    assert.deepStrictEqual(parse("Fri, 01 Jan 2100 00:00:00 GMT", "30 seconds"), Option.some(30_000))
    const max = Duration.nanos(1_500_000_001n)
    const capped = LimitedHttpClient.parseRetryAfter("5", { now, max })
    assert.isTrue(Option.isSome(capped) && Duration.equals(capped.value, max), "the cap in nanos, not rounded to millis")
  })

  it("missing or malformed: None", () => {
    for (const value of [undefined, "", "  ", "-5", "1.5", "+3", "soon", "2026-11-25T12:00:00Z", "12abc", "25 Nov 2026", "Tue, 32 Nov 2026 12:00:00 GMT"]) {
      assert.isTrue(Option.isNone(parse(value)), JSON.stringify(value))
    }
  })
})
