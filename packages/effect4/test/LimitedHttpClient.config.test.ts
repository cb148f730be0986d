/**
 * The limited client's options are checked when it is made, by the shared
 * core's checks: the same fields, values and messages as the Effect 3
 * line's test/LimitedHttpClient.config.test.ts.
 */
import { LimitedHttpClient, Limiter, LimiterConfigError, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"

const Api = Resource.make("Api", { capacity: 2 })
const Other = Resource.make("Other", { capacity: 1 })
const Unlisted = Resource.make("Unlisted", { capacity: 1 })

const LimiterLive = Limiter.layer({ timeout: "1 second", resources: [Api, Other] })

const fake = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok"))))

const expectInvalid = (
  make: Effect.Effect<unknown, LimiterConfigError.LimiterConfigError, any>,
  field: string,
  value: string
) =>
  Effect.gen(function*() {
    const error = yield* make.pipe(Effect.flip)
    assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
    assert.strictEqual(error.field, field)
    assert.strictEqual(error.value, value)
    assert.include(error.message, field)
    assert.include(error.message, value)
  }).pipe(Effect.provide(LimiterLive)) as Effect.Effect<void>

const withOptions = (options: Partial<LimitedHttpClient.Options<[typeof Api]>>) =>
  LimitedHttpClient.make(fake, { resources: [Api], ...options } as LimitedHttpClient.Options<[typeof Api]>)

describe("LimitedHttpClient rejects bad options with LimiterConfigError", () => {
  const cases: ReadonlyArray<readonly [string, Partial<LimitedHttpClient.Options<[typeof Api]>>, string, string]> = [
    ["an empty resource list", { resources: [] as any }, "resources", "[]"],
    ["a resource the limiter does not list", { resources: [Unlisted] as any }, "resources[0]", "\"Unlisted\""],
    ["a resource listed twice", { resources: [Api, Other, Api] as any }, "resources[2]", "\"Api\""],
    ["a negative timeout", { timeout: "-1 seconds" }, "timeout", "\"-1 seconds\""],
    ["a rate limit of 0", { rate: { limit: 0, interval: "1 second" } }, "rate.limit", "0"],
    ["a fractional rate limit", { rate: { limit: 1.5, interval: "1 second" } }, "rate.limit", "1.5"],
    ["a zero rate interval", { rate: { limit: 10, interval: 0 } }, "rate.interval", "0"],
    ["an infinite rate interval", { rate: { limit: 10, interval: Duration.infinity } }, "rate.interval", "Infinity"],
    ["a malformed rate interval", { rate: { limit: 10, interval: "often" as any } }, "rate.interval", "\"often\""],
    ["an unknown algorithm", { rate: { limit: 10, interval: "1 second", algorithm: "leaky" as any } }, "rate.algorithm", "\"leaky\""],
    ["negative retries", { retry: { times: -1 } }, "retry.times", "-1"],
    ["fractional retries", { retry: { times: 2.5 } }, "retry.times", "2.5"],
    ["no statuses", { retry: { statuses: [] } }, "retry.statuses", "[]"],
    ["a success status", { retry: { statuses: [429, 200] } }, "retry.statuses[1]", "200"],
    ["a zero backoff", { retry: { backoff: 0 } }, "retry.backoff", "0"],
    ["a negative maxDelay", { retry: { maxDelay: -5 } }, "retry.maxDelay", "-5"],
    ["an infinite maxDelay", { retry: { maxDelay: Duration.infinity } }, "retry.maxDelay", "Infinity"],
    ["a non-boolean nonIdempotent", { retry: { nonIdempotent: "yes" as any } }, "retry.nonIdempotent", "\"yes\""],
    // Effect 4's durations may be negative: one given as a `Duration` is checked too.
    ["a negative Duration as the unread-body timeout", { unreadBodyTimeout: Duration.millis(-1) }, "unreadBodyTimeout", "-1ms"]
  ]
  for (const [name, options, field, value] of cases) {
    it.effect(name, () => expectInvalid(withOptions(options), field, value))
  }

  it.effect("the message names the option, what it expects and the value", () =>
    Effect.gen(function*() {
      const error = yield* withOptions({ rate: { limit: 0, interval: "1 second" } }).pipe(Effect.flip)
      assert.strictEqual(error.message, "Invalid Limiter option rate.limit: expected a positive safe integer, got 0")
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("keyed: a field of a host is placed under its key", () =>
    expectInvalid(
      LimitedHttpClient.makeKeyed(fake, { "api.test": { resources: [Api], retry: { times: -2 } } }),
      "hosts[\"api.test\"].retry.times",
      "-2"
    ))

  for (const host of ["https://api.test", "API.test", "api.test/v1", "", "api.test:80:80"]) {
    it.effect(`keyed: a host key that would match no request: ${JSON.stringify(host)}`, () =>
      expectInvalid(LimitedHttpClient.makeKeyed(fake, { [host]: { resources: [Api] } }), "hosts", JSON.stringify(host)))
  }

  it.effect("the layer fails to build", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(
        LimitedHttpClient.layer({ resources: [Api], rate: { limit: -3, interval: "1 second" } }).pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, fake))
        )
      ).pipe(Effect.flip)
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual((error as LimiterConfigError.LimiterConfigError).field, "rate.limit")
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("valid options build", () =>
    Effect.gen(function*() {
      yield* withOptions({
        timeout: "5 seconds",
        rate: { limit: 10, interval: "100 millis", algorithm: "fixed-window" },
        retry: { times: 0, statuses: [429], backoff: "50 millis", maxDelay: 0, nonIdempotent: true },
        unreadBodyTimeout: Duration.seconds(2)
      })
      yield* LimitedHttpClient.makeKeyed(fake, { "api.test": { resources: [Api] }, "127.0.0.1:8080": { resources: [Other] } })
    }).pipe(Effect.provide(LimiterLive)))

  describe("partitions", () => {
    const Search = Resource.make("Search", { capacity: 4, partitions: { interactive: 0.75, batch: 0.25 } })
    const PartitionedLive = Limiter.layer({ timeout: "1 second", resources: [Api, Search] })
    const expectPartitionInvalid = (options: LimitedHttpClient.Options<any>, value: string, expected: RegExp) =>
      Effect.gen(function*() {
        // Options the types would refuse: what the checks catch at run time.
        const make = LimitedHttpClient.make(fake, options) as Effect.Effect<unknown, LimiterConfigError.LimiterConfigError, Limiter.Limiter>
        const error = yield* Effect.flip(make)
        assert.strictEqual(error.field, "partition")
        assert.strictEqual(error.value, value)
        assert.match(error.expected, expected)
      }).pipe(Effect.provide(PartitionedLive))

    it.effect("a partitioned resource needs one of its partitions", () =>
      expectPartitionInvalid({ resources: [Search] }, "undefined", /a partition of resource "Search" \("interactive", "batch"\)/))

    it.effect("an unknown partition", () =>
      expectPartitionInvalid({ resources: [Api, Search], partition: "bulk" }, "\"bulk\"", /"Search"/))

    it.effect("a partition where none is partitioned", () =>
      expectPartitionInvalid({ resources: [Api], partition: "batch" }, "\"batch\"", /none of the resources is partitioned/))

    it.effect("requests wait in their partition", () =>
      Effect.gen(function*() {
        const client = yield* LimitedHttpClient.make(fake, { resources: [Search], partition: "batch" })
        const response = yield* client.get("http://api.test/")
        assert.strictEqual(response.status, 200)
      }).pipe(Effect.provide(PartitionedLive)))
  })
})
