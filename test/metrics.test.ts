/**
 * Each limiter's metric series are its own: labelled with its `name` and
 * with the metric labels its layer was built under, reset when its layer
 * closes, and claimed by one live limiter at a time. On the TestClock.
 *
 * Series are read with `Metric.tagged` in the documented label order
 * (`limiter`, `resource`, then the rest), which is also what
 * `Metrics.series` does: the last test checks that they agree.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, type Context, Deferred, Effect, Exit, Fiber, Layer, Metric, Scope } from "effect"
import * as Config from "effect/Config"
import { Limit, Limiter, LimiterConfigError, Metrics, Resource } from "effect-concurrency-limiter"

/** Lets every forked fiber run until it parks again. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** `metric`'s series of limiter `limiter` and resource `resource`, then `more` labels, in the limiter's order. */
const seriesOf = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  limiter: string,
  resource: string,
  ...more: ReadonlyArray<readonly [string, string]>
) => {
  let tagged = metric.pipe(Metric.tagged("limiter", limiter), Metric.tagged("resource", resource))
  for (const [key, value] of more) tagged = tagged.pipe(Metric.tagged(key, value))
  return tagged
}

const gauge = (
  metric: Metric.Metric.Gauge<number>,
  limiter: string,
  resource: string,
  ...more: ReadonlyArray<readonly [string, string]>
) => Effect.map(Metric.value(seriesOf(metric, limiter, resource, ...more)), (state) => state.value)

/** A capacity each limiter reads from its own config: one resource, two limiters that size it differently. */
const Shared = Resource.make("SharedDb", { capacity: Config.integer("SHARED_DB_CAPACITY") })

/** Builds `Limiter.layer(options)` into `scope` (the test's own unless given), with `SHARED_DB_CAPACITY` = `capacity`. */
const build = <const Resources extends Limiter.NonEmptyResources>(
  options: Limiter.Options<Resources>,
  capacity = 1,
  scope?: Scope.Scope
) =>
  Effect.flatMap(scope === undefined ? Scope.Scope : Effect.succeed(scope), (scope) =>
    Layer.buildWithScope(Limiter.layer(options), scope)).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SHARED_DB_CAPACITY", String(capacity)]])))
    )

/** Holds one permit of `resource` through `ctx` until the returned `release`. */
const hold = (ctx: Context.Context<any>, resource: Resource.Resource.Any, partition?: string) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const fiber = yield* Deferred.await(gate).pipe(
      Limiter.withResources([resource] as any, partition === undefined ? undefined : { partition }),
      Effect.provide(ctx),
      Effect.fork
    )
    yield* settle
    return { fiber, release: Deferred.succeed(gate, undefined).pipe(Effect.zipRight(Fiber.join(fiber))) }
  })

describe("each limiter's series are its own", () => {
  it.scoped("two limiters alive at once with a resource of the same name each read their own capacity and use", () =>
    Effect.gen(function*() {
      const five = yield* build({ name: "five", timeout: "1 second", resources: [Shared] }, 5)
      const ten = yield* build({ name: "ten", timeout: "1 second", resources: [Shared] }, 10)
      // The second build does not overwrite the first's capacity.
      assert.strictEqual(yield* gauge(Metrics.capacity, "five", "SharedDb"), 5)
      assert.strictEqual(yield* gauge(Metrics.capacity, "ten", "SharedDb"), 10)

      const held = yield* hold(five, Shared)
      assert.strictEqual(yield* gauge(Metrics.inUse, "five", "SharedDb"), 1)
      assert.strictEqual(yield* gauge(Metrics.inUse, "ten", "SharedDb"), 0)
      yield* held.release
      yield* Effect.void.pipe(Limiter.withResources([Shared]), Effect.provide(ten))
      const acquired = (limiter: string) =>
        Effect.map(Metric.value(seriesOf(Metrics.acquisitions, limiter, "SharedDb", ["outcome", "acquired"])), (s) => s.count)
      assert.deepStrictEqual([yield* acquired("five"), yield* acquired("ten")], [1, 1])
      assert.deepStrictEqual(
        [yield* gauge(Metrics.inUse, "five", "SharedDb"), yield* gauge(Metrics.capacity, "ten", "SharedDb")],
        [0, 10]
      )
    }))

  it.effect("closing a layer sets its gauges to 0, and a holder that outlives it writes them no more", () =>
    Effect.gen(function*() {
      const Db = Resource.make("ClosingDb", { capacity: 1 })
      const Split = Resource.make("ClosingSplit", { capacity: 2, partitions: { a: 0.5, b: 0.5 } })
      const Adaptive = Resource.make("ClosingAdaptive", { capacity: Limit.aimd({ initial: 3, min: 1, max: 10 }) })
      const options = { name: "closing", timeout: "1 minute", resources: [Db, Split, Adaptive] } as const
      const scope = yield* Scope.make()
      const old = yield* build(options, 1, scope)
      const holder = yield* hold(old, Db)
      const splitHolder = yield* hold(old, Split, "a")
      const waiter = yield* Effect.void.pipe(Limiter.withResources([Db]), Effect.provide(old), Effect.fork)
      yield* settle
      const gauges = Effect.all([
        gauge(Metrics.capacity, "closing", "ClosingDb"),
        gauge(Metrics.inUse, "closing", "ClosingDb"),
        gauge(Metrics.waiting, "closing", "ClosingDb"),
        gauge(Metrics.partitionGuaranteed, "closing", "ClosingSplit", ["partition", "a"]),
        gauge(Metrics.partitionInUse, "closing", "ClosingSplit", ["partition", "a"]),
        gauge(Metrics.limit, "closing", "ClosingAdaptive", ["algorithm", "aimd"])
      ])
      assert.deepStrictEqual(yield* gauges, [1, 1, 1, 1, 1, 3])

      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* gauges, [0, 0, 0, 0, 0, 0])

      // The name is free again; the new limiter's series start afresh ...
      const next = yield* build(options)
      const nextHolder = yield* hold(next, Db)
      assert.deepStrictEqual(yield* gauges, [1, 1, 0, 1, 0, 3])
      // ... and the old limiter's stragglers do not write into them.
      yield* Fiber.interrupt(waiter)
      yield* holder.release
      yield* splitHolder.release
      assert.deepStrictEqual(yield* gauges, [1, 1, 0, 1, 0, 3])
      yield* nextHolder.release
      assert.strictEqual(yield* gauge(Metrics.inUse, "closing", "ClosingDb"), 0)
    }).pipe(Effect.scoped))

  it.scoped("the metric labels in force where the layer is built label every series, whoever updates them", () =>
    Effect.gen(function*() {
      const Db = Resource.make("TaggedDb", { capacity: 2 })
      const ctx = yield* build({ name: "tagged", timeout: "1 second", resources: [Db] }).pipe(
        Effect.tagMetrics("service", "api")
      )
      // A guard run under labels of its own still counts in the limiter's series.
      yield* Effect.void.pipe(Limiter.withResources([Db]), Effect.provide(ctx), Effect.tagMetrics("route", "/x"))
      const service = ["service", "api"] as const
      assert.strictEqual(yield* gauge(Metrics.capacity, "tagged", "TaggedDb", service), 2)
      assert.strictEqual(yield* gauge(Metrics.capacity, "tagged", "TaggedDb"), 0, "no series without the label")
      const acquired = (...more: ReadonlyArray<readonly [string, string]>) =>
        Effect.map(
          Metric.value(seriesOf(Metrics.acquisitions, "tagged", "TaggedDb", ["outcome", "acquired"], ...more)),
          (s) => s.count
        )
      assert.strictEqual(yield* acquired(service), 1)
      assert.strictEqual(yield* acquired(service, ["route", "/x"]), 0, "not the releasing fiber's labels")
    }))

  it.effect("a layer provided under Effect.tagMetrics is read back under the same labels", () =>
    Effect.gen(function*() {
      const Db = Resource.make("ProvidedDb", { capacity: 3 })
      // `Metric.value` adds the reading fiber's labels, as `Metric.update` would.
      const capacity = yield* gauge(Metrics.capacity, "default", "ProvidedDb").pipe(
        Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] })),
        Effect.tagMetrics("service", "worker")
      )
      assert.strictEqual(capacity, 3)
    }))

  it.scoped("a build label with a key the limiter sets is left out, not written twice", () =>
    Effect.gen(function*() {
      const Db = Resource.make("OwnKeyDb", { capacity: 4 })
      yield* build({ name: "own-key", timeout: "1 second", resources: [Db] }).pipe(
        Effect.tagMetrics({ resource: "elsewhere", limiter: "other", service: "api" })
      )
      assert.strictEqual(yield* gauge(Metrics.capacity, "own-key", "OwnKeyDb", ["service", "api"]), 4)
    }))

  it.scoped("Metrics.series reads the series the limiter writes", () =>
    Effect.gen(function*() {
      const Db = Resource.make("SeriesDb", { capacity: 6, partitions: { a: 0.5, b: 0.5 } })
      const ctx = yield* build({ name: "series", timeout: "1 second", resources: [Db] })
      yield* Effect.void.pipe(Limiter.withResources([Db], { partition: "a" }), Effect.provide(ctx))
      const capacity = yield* Metric.value(Metrics.series(Metrics.capacity, { limiter: "series", resource: "SeriesDb" }))
      const acquired = yield* Metric.value(
        Metrics.series(Metrics.acquisitions, { limiter: "series", resource: "SeriesDb", partition: "a", outcome: "acquired" })
      )
      assert.deepStrictEqual([capacity.value, acquired.count], [6, 1])
    }))
})

describe("the name option", () => {
  const refusal = (exit: Exit.Exit<unknown, unknown>) => {
    assert.isTrue(Exit.isFailure(exit))
    const error = Exit.isFailure(exit) ? exit.cause : undefined
    const failure = error === undefined ? undefined : (error as any).error
    assert.instanceOf(failure, LimiterConfigError.LimiterConfigError)
    return failure as LimiterConfigError.LimiterConfigError
  }

  it.scoped("a second live limiter that would write the same series is refused, naming the option and value", () =>
    Effect.gen(function*() {
      const Db = Resource.make("TwiceDb", { capacity: 1 })
      const Fs = Resource.make("TwiceFs", { capacity: 1 })
      const scope = yield* Scope.make()
      yield* build({ timeout: "1 second", resources: [Db] }, 1, scope)
      const error = refusal(yield* Effect.exit(build({ timeout: "1 second", resources: [Fs, Db] })))
      assert.strictEqual(error.field, "name")
      assert.strictEqual(error.value, "\"default\"")
      assert.include(error.expected, "resource \"TwiceDb\"")
      // Once the first closes, the name is free.
      yield* Scope.close(scope, Exit.void)
      yield* build({ timeout: "1 second", resources: [Fs, Db] })
    }))

  it.scoped("limiters of one name coexist when their series differ: other resources, other labels, metrics off", () =>
    Effect.gen(function*() {
      const Db = Resource.make("CoexistDb", { capacity: 1 })
      const Fs = Resource.make("CoexistFs", { capacity: 1 })
      yield* build({ timeout: "1 second", resources: [Db] })
      yield* build({ timeout: "1 second", resources: [Fs] })
      yield* build({ timeout: "1 second", resources: [Db] }).pipe(Effect.tagMetrics("service", "api"))
      yield* build({ timeout: "1 second", resources: [Db] }).pipe(Effect.tagMetrics("service", "worker"))
      yield* build({ timeout: "1 second", resources: [Db], metrics: false })
    }))

  it.scoped("is a non-empty string, or a Config of one", () =>
    Effect.gen(function*() {
      const Db = Resource.make("NamedDb", { capacity: 2 })
      for (const bad of ["", 42, null]) {
        const error = refusal(yield* Effect.exit(build({ timeout: "1 second", resources: [Db], name: bad as any })))
        assert.strictEqual(error.field, "name")
        assert.include(error.message, "expected a non-empty string")
      }
      // Checked even with metrics off.
      const off = refusal(yield* Effect.exit(build({ timeout: "1 second", resources: [Db], name: "", metrics: false })))
      assert.strictEqual(off.field, "name")
      yield* Layer.buildWithScope(
        Limiter.layer({ timeout: "1 second", resources: [Db], name: Config.string("LIMITER_NAME") }),
        yield* Scope.Scope
      ).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["LIMITER_NAME", "from-config"]]))))
      assert.strictEqual(yield* gauge(Metrics.capacity, "from-config", "NamedDb"), 2)
    }))
})
