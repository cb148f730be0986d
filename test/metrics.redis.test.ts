/**
 * A RedisLimiter's metric series are its own, as a Limiter's are: labelled
 * with its `name`, reset when its layer closes, and refused to a second
 * live limiter (of either kind) that would write them. Against the
 * machine's Redis, under key prefixes of this file's own.
 */
import { assert, describe, it } from "@effect/vitest"
import { Config, ConfigProvider, Deferred, Effect, Exit, Fiber, Layer, Metric, Scope } from "effect"
import { Limiter, LimiterConfigError, Metrics, RedisLimiter, Resource } from "effect-concurrency-limiter"
import { REDIS_URL } from "./utils/redis.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"

const prefixFor = cleanedPrefixes()

const gauge = (metric: Metric.Metric.Gauge<number>, limiter: string, resource: string) =>
  Effect.map(
    Metric.value(metric.pipe(Metric.tagged("limiter", limiter), Metric.tagged("resource", resource))),
    (state) => state.value
  )

describe("a RedisLimiter's metric series", () => {
  if (skippedWithoutRedis()) return

  it.live("are its own, and go to 0 when its layer closes", () =>
    Effect.gen(function*() {
      // One resource, two limits (each read from its own config), separate Redis keys, one process.
      const Db = Resource.make("RedisSeriesDb", { capacity: Config.integer("REDIS_SERIES_CAPACITY") })
      const build = (name: string, capacity: number, scope: Scope.Scope) =>
        Layer.buildWithScope(
          RedisLimiter.layer({ name, resources: [Db], timeout: "1 second", prefix: prefixFor(name), redis: REDIS_URL }),
          scope
        ).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["REDIS_SERIES_CAPACITY", String(capacity)]]))))
      yield* build("five", 5, yield* Scope.Scope)
      const scope = yield* Scope.make()
      const ten = yield* build("ten", 10, scope)
      assert.strictEqual(yield* gauge(Metrics.capacity, "five", "RedisSeriesDb"), 5)
      assert.strictEqual(yield* gauge(Metrics.capacity, "ten", "RedisSeriesDb"), 10)

      const entered = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Deferred.succeed(entered, undefined).pipe(
        Effect.zipRight(Deferred.await(gate)),
        Limiter.withResources([Db]),
        Effect.provide(ten),
        Effect.fork
      )
      yield* Deferred.await(entered)
      assert.strictEqual(yield* gauge(Metrics.inUse, "ten", "RedisSeriesDb"), 1)
      assert.strictEqual(yield* gauge(Metrics.inUse, "five", "RedisSeriesDb"), 0)

      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(
        [yield* gauge(Metrics.capacity, "ten", "RedisSeriesDb"), yield* gauge(Metrics.inUse, "ten", "RedisSeriesDb")],
        [0, 0]
      )
      // The holder outlives the layer: its release writes nothing.
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      assert.strictEqual(yield* gauge(Metrics.inUse, "ten", "RedisSeriesDb"), 0)
      assert.strictEqual(yield* gauge(Metrics.capacity, "five", "RedisSeriesDb"), 5)
    }).pipe(Effect.scoped))

  it.live("are refused to a second live limiter, of either kind, that would write them", () =>
    Effect.gen(function*() {
      const Db = Resource.make("RedisTakenDb", { capacity: 2 })
      yield* Layer.buildWithScope(Limiter.layer({ resources: [Db], timeout: "1 second" }), yield* Scope.Scope)
      const exit = yield* Effect.exit(
        Layer.buildWithScope(
          RedisLimiter.layer({ resources: [Db], timeout: "1 second", prefix: prefixFor("taken"), redis: REDIS_URL }),
          yield* Scope.Scope
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? (exit.cause as any).error : undefined
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      assert.strictEqual(error.field, "name")
      assert.strictEqual(error.value, "\"default\"")
      // Named apart, both are served.
      yield* Layer.buildWithScope(
        RedisLimiter.layer({ name: "shared", resources: [Db], timeout: "1 second", prefix: prefixFor("taken"), redis: REDIS_URL }),
        yield* Scope.Scope
      )
      assert.strictEqual(yield* gauge(Metrics.capacity, "shared", "RedisTakenDb"), 2)
    }).pipe(Effect.scoped))
})
