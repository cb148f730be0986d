/**
 * RedisLimiter's metrics against the machine's Redis (127.0.0.1:6379): the
 * `Metrics` module's series, as this replica sees them (its own holders and
 * waiters, its acquisitions by outcome, wait and hold times), in a
 * `Metric.MetricRegistry` of the test's own; gauges reset when the layer
 * closes; two live replicas of one name refused; `metrics: false` writes
 * nothing. Skipped, with a plain message, when no Redis is reachable.
 */
import { Limiter, Metrics, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"
import { counted, replica } from "./utils/redisLimiter.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"

const prefixFor = cleanedPrefixes()

/** Runs `self` against a registry of its own, where the limiters it builds write and its reads look. */
const isolated = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => Effect.provideService(self, Metric.MetricRegistry, new Map()))

const gauge = (metric: Metric.Gauge<number>, labels: Metrics.SeriesLabels) =>
  Effect.map(Metric.value(Metrics.series(metric, labels)), (state) => state.value)

describe("RedisLimiter metrics", () => {
  if (skippedWithoutRedis()) return

  it.live("records the Metrics module's series, as this replica sees them, and resets its gauges when it closes", () =>
    isolated(Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const db = { limiter: "api", resource: "Db" }
      const prefix = prefixFor("metrics")
      const scope = yield* Scope.make()
      const ctx = yield* replica({ resources: [Db], timeout: "100 millis", prefix, name: "api" }).pipe(Scope.provide(scope))
      assert.strictEqual(yield* gauge(Metrics.capacity, db), 1)
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(
        Limiter.withResources(Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate)), [Db]),
        ctx
      ))
      yield* Deferred.await(started)
      assert.strictEqual(yield* gauge(Metrics.inUse, db), 1)
      yield* Effect.result(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx)) // times out
      const quitter = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      // Listed here before its acquire is sent, so counted here before Redis counts it.
      yield* counted(prefix, "waiters", 1)
      assert.strictEqual(yield* gauge(Metrics.waiting, db), 1)
      yield* Fiber.interrupt(quitter)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      const counts: Record<string, number> = {}
      for (const outcome of ["acquired", "timeout", "queue-full", "interrupted"] as const) {
        counts[outcome] = (yield* Metric.value(Metrics.series(Metrics.acquisitions, { ...db, outcome }))).count
      }
      assert.deepStrictEqual(counts, { acquired: 1, timeout: 1, "queue-full": 0, interrupted: 1 })
      const held = yield* Metric.value(Metrics.series(Metrics.holdTime, db))
      const waited = yield* Metric.value(Metrics.series(Metrics.waitTime, db))
      assert.deepStrictEqual([held.count, waited.count], [1, 3])
      assert.deepStrictEqual([yield* gauge(Metrics.inUse, db), yield* gauge(Metrics.waiting, db)], [0, 0])
      yield* Effect.provide(Limiter.setCapacity(Db, 3), ctx)
      assert.strictEqual(yield* gauge(Metrics.capacity, db), 3)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* gauge(Metrics.capacity, db), 0, "reset when the layer closed")
    })).pipe(Effect.scoped))

  it.live("two live replicas of one name in one registry are refused, naming `name`; metrics: false writes nothing", () =>
    isolated(Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const prefix = prefixFor("names")
      yield* replica({ resources: [Db], timeout: "1 second", prefix, name: "same" })
      const error = yield* Effect.flip(replica({ resources: [Db], timeout: "1 second", prefix, name: "same" }))
      assert.strictEqual(error._tag, "LimiterConfigError")
      assert.include(error.message, "name")
      const ctx = yield* replica({ resources: [Db], timeout: "1 second", prefix, name: "quiet", metrics: false })
      yield* Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx)
      const acquired = yield* Metric.value(
        Metrics.series(Metrics.acquisitions, { limiter: "quiet", resource: "Db", outcome: "acquired" })
      )
      assert.strictEqual(acquired.count, 0)
    })).pipe(Effect.scoped))
})
