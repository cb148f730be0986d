/**
 * The Effect 4 line's metrics: the series a limiter writes as it grants,
 * refuses, releases and resizes, on the TestClock, each test in a registry
 * of its own (`Metric.MetricRegistry`); each limiter's series are its own;
 * and what `PrometheusMetrics` makes of them, which is what the Effect 3
 * line's scrape shows (docs/metrics.md).
 */
import * as Definitions from "@effect-concurrency-limiter/core/metrics/definitions"
import { Limit, Limiter, LimiterConfigError, Metrics, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as PrometheusMetrics from "effect/observability/PrometheusMetrics"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import { settle } from "./utils/effects.js"
import { assertBusy, hold } from "./utils/limiter.js"
import { parseScrape } from "./utils/prometheus.js"
import { TestServer } from "./utils/TestServer.js"

/** Runs `self` against a registry of its own, where the limiters it builds write and its reads look. */
const isolated = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => Effect.provideService(self, Metric.MetricRegistry, new Map()))

/** Builds `Limiter.layer(options)` into `scope` (the test's own unless given). */
const build = <const Resources extends Limiter.NonEmptyResources>(options: Limiter.Options<Resources>, scope?: Scope.Scope) =>
  Effect.flatMap(scope === undefined ? Effect.scope : Effect.succeed(scope), (scope) =>
    Layer.buildWithScope(Limiter.layer(options), scope))

const gauge = (metric: Metric.Gauge<number>, labels: Metrics.SeriesLabels) =>
  Effect.map(Metric.value(Metrics.series(metric, labels)), (state) => state.value)

const count = (labels: Metrics.SeriesLabels) =>
  Effect.map(Metric.value(Metrics.series(Metrics.acquisitions, labels)), (state) => state.count)

const histogram = (metric: Metric.Histogram<number>, labels: Metrics.SeriesLabels) =>
  Metric.value(Metrics.series(metric, labels))

/** The cumulative count of a histogram's bucket `le`. */
const bucket = (state: Metric.HistogramState, le: number): number => state.buckets.find(([bound]) => bound === le)![1]

const release = (held: { readonly gate: Deferred.Deferred<void>; readonly fiber: Fiber.Fiber<unknown, unknown> }) =>
  Effect.andThen(Deferred.succeed(held.gate, undefined), Fiber.join(held.fiber))

describe("the series a limiter writes", () => {
  it.effect("grants: the gauges follow holders and waiters, each wait and hold is timed", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const db = { resource: "Db" }
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* gauge(Metrics.capacity, db), 2)
        const a = yield* hold([Db])
        const b = yield* hold([Db])
        yield* Deferred.await(a.entered)
        yield* Deferred.await(b.entered)
        const c = yield* hold([Db])
        yield* settle
        assert.deepStrictEqual([yield* gauge(Metrics.inUse, db), yield* gauge(Metrics.waiting, db)], [2, 1])
        assert.strictEqual(yield* count({ ...db, outcome: "acquired" }), 2)

        // `c` waits 400 ms for `a`'s permit; `a` held it that long.
        yield* TestClock.adjust("400 millis")
        yield* release(a)
        yield* Deferred.await(c.entered)
        assert.deepStrictEqual([yield* gauge(Metrics.inUse, db), yield* gauge(Metrics.waiting, db)], [2, 0])
        assert.strictEqual(yield* count({ ...db, outcome: "acquired" }), 3)
        const waits = yield* histogram(Metrics.waitTime, db)
        assert.deepStrictEqual([waits.count, waits.sum, waits.max], [3, 0.4, 0.4])
        assert.deepStrictEqual([bucket(waits, 0.001), bucket(waits, 0.256), bucket(waits, 0.512)], [2, 2, 3])

        yield* TestClock.adjust("1 second")
        yield* release(b)
        yield* release(c)
        const holds = yield* histogram(Metrics.holdTime, db)
        assert.deepStrictEqual([holds.count, holds.sum, holds.min, holds.max], [3, 0.4 + 1.4 + 1, 0.4, 1.4])
        assert.deepStrictEqual([yield* gauge(Metrics.inUse, db), yield* gauge(Metrics.waiting, db)], [0, 0])
      }).pipe(Effect.provide(yield* build({ timeout: "2 seconds", resources: [Db] })))
    }).pipe(isolated))

  it.effect("refusals: a deadline, a full queue and an interruption each count under their outcome, with their wait", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1, maxWaiting: 1 })
      const db = { resource: "Db" }
      yield* Effect.gen(function*() {
        const holder = yield* hold([Db])
        yield* Deferred.await(holder.entered)
        const late = yield* Effect.never.pipe(Limiter.withResources([Db]), Effect.forkChild)
        yield* settle
        // The queue holds one: refused at once.
        const full = yield* Effect.exit(Effect.void.pipe(Limiter.withResources([Db])))
        assertBusy(full, "Db", Duration.zero, "queue-full")
        yield* TestClock.adjust("2 seconds")
        assertBusy(yield* Fiber.await(late), "Db", Duration.seconds(2))

        const gaveUp = yield* Effect.void.pipe(Limiter.withResources([Db]), Effect.forkChild)
        yield* settle
        assert.strictEqual(yield* gauge(Metrics.waiting, db), 1)
        yield* TestClock.adjust("300 millis")
        yield* Fiber.interrupt(gaveUp)
        assert.strictEqual(yield* gauge(Metrics.waiting, db), 0)

        const outcomes = yield* Effect.forEach(Definitions.outcomes, (outcome) => count({ ...db, outcome }))
        assert.deepStrictEqual(outcomes, [1, 1, 1, 1], "acquired, timeout, queue-full, interrupted")
        const waits = yield* histogram(Metrics.waitTime, db)
        assert.deepStrictEqual([waits.count, waits.sum, waits.max], [4, 2.3, 2])
        yield* release(holder)
        assert.strictEqual(yield* gauge(Metrics.inUse, db), 0)
      }).pipe(Effect.provide(yield* build({ timeout: "2 seconds", resources: [Db] })))
    }).pipe(isolated))
})

describe("resizes and partitions", () => {
  it.effect("setCapacity and an adaptive limit move the capacity; the limit is a gauge labelled with its algorithm", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const Upstream = Resource.make("Upstream", { capacity: Limit.aimd({ initial: 4, min: 1, max: 10, backoffRatio: 0.5 }) })
      const upstream = { resource: "Upstream" }
      yield* Effect.gen(function*() {
        yield* Limiter.setCapacity(Db, 5)
        assert.strictEqual(yield* gauge(Metrics.capacity, { resource: "Db" }), 5)
        assert.deepStrictEqual(
          [yield* gauge(Metrics.capacity, upstream), yield* gauge(Metrics.limit, { ...upstream, algorithm: "aimd" })],
          [4, 4]
        )
        // A failure halves the limit, and the capacity follows it.
        yield* Effect.exit(Effect.fail("boom").pipe(Limiter.withResources([Upstream])))
        assert.deepStrictEqual(
          [yield* gauge(Metrics.capacity, upstream), yield* gauge(Metrics.limit, { ...upstream, algorithm: "aimd" })],
          [2, 2]
        )
        assert.strictEqual(yield* gauge(Metrics.limit, { resource: "Db", algorithm: "aimd" }), 0, "a fixed resource has none")
      }).pipe(Effect.provide(yield* build({ timeout: "1 second", resources: [Db, Upstream] })))
    }).pipe(isolated))

  it.effect("a partitioned resource: each partition's guarantee, use and queue, and its acquisitions by partition", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 4, partitions: { interactive: 0.75, batch: 0.25 } })
      const db = { resource: "Db" }
      const batch = { ...db, partition: "batch" }
      const interactive = { ...db, partition: "interactive" }
      const partitionGauges = (labels: Metrics.SeriesLabels) =>
        Effect.all([
          gauge(Metrics.partitionGuaranteed, labels),
          gauge(Metrics.partitionInUse, labels),
          gauge(Metrics.partitionWaiting, labels)
        ])
      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* partitionGauges(interactive), [3, 0, 0])
        assert.deepStrictEqual(yield* partitionGauges(batch), [1, 0, 0])
        const held = yield* Effect.forEach(["interactive", "interactive", "interactive", "batch"] as const, (partition) =>
          hold([Db], { partition }))
        yield* Effect.forEach(held, (h) => Deferred.await(h.entered))
        const queued = yield* hold([Db], { partition: "batch" })
        yield* settle
        assert.deepStrictEqual(yield* partitionGauges(interactive), [3, 3, 0])
        assert.deepStrictEqual(yield* partitionGauges(batch), [1, 1, 1])
        assert.deepStrictEqual([yield* gauge(Metrics.inUse, db), yield* gauge(Metrics.waiting, db)], [4, 1])

        // Growing admits the batch waiter and raises both guarantees.
        yield* Limiter.setCapacity(Db, 8)
        yield* Deferred.await(queued.entered)
        assert.deepStrictEqual(yield* partitionGauges(interactive), [6, 3, 0])
        assert.deepStrictEqual(yield* partitionGauges(batch), [2, 2, 0])
        assert.deepStrictEqual(
          [yield* count({ ...interactive, outcome: "acquired" }), yield* count({ ...batch, outcome: "acquired" })],
          [3, 2]
        )
        assert.strictEqual(yield* count({ ...db, outcome: "acquired" }), 0, "a partitioned resource counts by partition")
        assert.strictEqual((yield* histogram(Metrics.waitTime, batch)).count, 2)

        // Takes through the resource's own semaphore name no partition.
        yield* Effect.flatMap(Db, (semaphore) => semaphore.withPermits(1)(Effect.void))
        assert.strictEqual(yield* count({ ...db, partition: "(none)", outcome: "acquired" }), 1)
        yield* Effect.forEach([...held, queued], release)
        assert.deepStrictEqual(yield* partitionGauges(batch), [2, 0, 0])
      }).pipe(Effect.provide(yield* build({ timeout: "1 second", resources: [Db] })))
    }).pipe(isolated))
})

describe("each limiter's series are its own", () => {
  it.effect("two limiters of two names keep theirs apart; a second live one of the same name is refused", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 3 })
      const api = yield* build({ name: "api", timeout: "1 second", resources: [Db] })
      yield* build({ name: "worker", timeout: "1 second", resources: [Db] })
      const held = yield* hold([Db]).pipe(Effect.provide(api))
      yield* Deferred.await(held.entered)
      assert.deepStrictEqual(
        [yield* gauge(Metrics.inUse, { limiter: "api", resource: "Db" }), yield* gauge(Metrics.inUse, { limiter: "worker", resource: "Db" })],
        [1, 0]
      )
      yield* release(held)

      const scope = yield* Scope.make()
      yield* build({ timeout: "1 second", resources: [Db] }, scope)
      const exit = yield* Effect.exit(build({ timeout: "1 second", resources: [Db] }))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      const refused = error as LimiterConfigError.LimiterConfigError
      assert.deepStrictEqual([refused.field, refused.value], ["name", "\"default\""])
      assert.include(refused.expected, "resource \"Db\"")
      // Metrics off: nothing to claim. And once the first closes, the name is free.
      yield* build({ timeout: "1 second", resources: [Db], metrics: false })
      yield* Scope.close(scope, Exit.void)
      yield* build({ timeout: "1 second", resources: [Db] })
    }).pipe(isolated))

  it.effect("closing a layer sets its gauges to 0, a holder that outlives it writes no more, its counters carry on", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const Split = Resource.make("Split", { capacity: 2, partitions: { a: 0.5, b: 0.5 } })
      const Adaptive = Resource.make("Adaptive", { capacity: Limit.aimd({ initial: 3, min: 1, max: 10 }) })
      const options = { timeout: "1 minute", resources: [Db, Split, Adaptive] } as const
      const scope = yield* Scope.make()
      const old = yield* build(options, scope)
      const holder = yield* hold([Db]).pipe(Effect.provide(old))
      const splitHolder = yield* hold([Split], { partition: "a" }).pipe(Effect.provide(old))
      const waiter = yield* Effect.void.pipe(Limiter.withResources([Db]), Effect.provide(old), Effect.forkChild)
      yield* settle
      const gauges = Effect.all([
        gauge(Metrics.capacity, { resource: "Db" }),
        gauge(Metrics.inUse, { resource: "Db" }),
        gauge(Metrics.waiting, { resource: "Db" }),
        gauge(Metrics.partitionGuaranteed, { resource: "Split", partition: "a" }),
        gauge(Metrics.partitionInUse, { resource: "Split", partition: "a" }),
        gauge(Metrics.limit, { resource: "Adaptive", algorithm: "aimd" })
      ])
      assert.deepStrictEqual(yield* gauges, [1, 1, 1, 1, 1, 3])

      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* gauges, [0, 0, 0, 0, 0, 0])

      const next = yield* build(options)
      const nextHolder = yield* hold([Db]).pipe(Effect.provide(next))
      yield* settle
      assert.deepStrictEqual(yield* gauges, [1, 1, 0, 1, 0, 3])
      // The old limiter's stragglers do not write into the new one's series.
      yield* Fiber.interrupt(waiter)
      yield* release(holder)
      yield* release(splitHolder)
      assert.deepStrictEqual(yield* gauges, [1, 1, 0, 1, 0, 3])
      // Counters carry on: the old limiter's two grants and interruption, then the new one's grant.
      assert.deepStrictEqual(
        [yield* count({ resource: "Db", outcome: "acquired" }), yield* count({ resource: "Db", outcome: "interrupted" })],
        [2, 0]
      )
      yield* release(nextHolder)
    }).pipe(isolated))

  it.effect("the attributes in force at build label every series, not those of the fiber that updates them", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const ctx = yield* build({ timeout: "1 second", resources: [Db] }).pipe(
        Effect.provideService(Metric.CurrentMetricAttributes, { service: "api", resource: "elsewhere", limiter: "other" })
      )
      yield* Effect.void.pipe(
        Limiter.withResources([Db]),
        Effect.provide(ctx),
        Effect.provideService(Metric.CurrentMetricAttributes, { route: "/x" })
      )
      const service = Metric.withAttributes({ service: "api" })
      const capacity = Metrics.series(Metrics.capacity, { resource: "Db" })
      const acquired = Metrics.series(Metrics.acquisitions, { resource: "Db", outcome: "acquired" })
      assert.strictEqual((yield* Metric.value(service(capacity))).value, 2)
      assert.strictEqual((yield* Metric.value(capacity)).value, 0, "no series without the build's attribute")
      assert.strictEqual((yield* Metric.value(service(acquired))).count, 1)
      assert.strictEqual((yield* Metric.value(Metric.withAttributes(service(acquired), { route: "/x" }))).count, 0)
      // Read under the same attributes, as the build ran.
      const underBuild = yield* Metric.value(capacity).pipe(Effect.provideService(Metric.CurrentMetricAttributes, { service: "api" }))
      assert.strictEqual(underBuild.value, 2)
    }).pipe(isolated))

  it.effect("the name option: a non-empty string, checked even with metrics off", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      for (const metrics of [true, false]) {
        const exit = yield* Effect.exit(build({ timeout: "1 second", resources: [Db], name: "" as string, metrics }))
        const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
        assert.strictEqual((error as LimiterConfigError.LimiterConfigError).field, "name")
      }
      yield* build({ name: "named", timeout: "1 second", resources: [Db] })
      assert.strictEqual(yield* gauge(Metrics.capacity, { limiter: "named", resource: "Db" }), 2)
    }).pipe(isolated))
})

describe("exposition with PrometheusMetrics", () => {
  it.effect("format() writes the Effect 3 line's series: names, types, help, labels and buckets", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2, maxWaiting: 0 })
      const Split = Resource.make("Split", { capacity: 2, partitions: { a: 0.5, b: 0.5 } })
      const Adaptive = Resource.make("Adaptive", { capacity: Limit.aimd({ initial: 3, min: 1, max: 10 }) })
      yield* Effect.gen(function*() {
        const holder = yield* hold([Db])
        yield* Deferred.await(holder.entered)
        yield* TestClock.adjust("250 millis")
        yield* release(holder)
        yield* Effect.void.pipe(Limiter.withResources([Split], { partition: "a" }))
        const both = [yield* hold([Db]), yield* hold([Db])]
        yield* Effect.forEach(both, (h) => Deferred.await(h.entered))
        yield* Effect.exit(Effect.void.pipe(Limiter.withResources([Db])))
        yield* Effect.forEach(both, release)
      }).pipe(
        Effect.provide(yield* build({ name: "api", timeout: "1 second", resources: [Db, Split, Adaptive] }))
      )

      const text = yield* PrometheusMetrics.format()
      const { help, samples, type } = parseScrape(text)
      const families = [...type.keys()].filter((name) => name.startsWith("limiter_")).sort()
      assert.deepStrictEqual(families, [
        "limiter_acquisitions_total",
        "limiter_capacity",
        "limiter_hold_seconds",
        "limiter_in_use",
        "limiter_limit",
        "limiter_partition_guaranteed",
        "limiter_partition_in_use",
        "limiter_partition_waiting",
        "limiter_wait_seconds",
        "limiter_waiting"
      ])
      for (const definition of Object.values(Definitions.definitions)) {
        const name = "prometheusName" in definition ? definition.prometheusName : definition.name
        assert.strictEqual(type.get(name), definition.kind, name)
        assert.strictEqual(help.get(name), definition.help, name)
      }

      // Labels in the limiter's order, as in the Effect 3 line's scrape.
      const lines = text.split("\n")
      for (
        const line of [
          "limiter_capacity{limiter=\"api\",resource=\"Db\"} 2",
          "limiter_in_use{limiter=\"api\",resource=\"Db\"} 0",
          "limiter_acquisitions_total{limiter=\"api\",resource=\"Db\",outcome=\"acquired\"} 3",
          "limiter_acquisitions_total{limiter=\"api\",resource=\"Db\",outcome=\"queue-full\"} 1",
          "limiter_acquisitions_total{limiter=\"api\",resource=\"Split\",partition=\"a\",outcome=\"acquired\"} 1",
          "limiter_partition_guaranteed{limiter=\"api\",resource=\"Split\",partition=\"b\"} 1",
          "limiter_limit{limiter=\"api\",resource=\"Adaptive\",algorithm=\"aimd\"} 3",
          "limiter_wait_seconds_count{limiter=\"api\",resource=\"Db\"} 4",
          "limiter_hold_seconds_sum{limiter=\"api\",resource=\"Db\"} 0.25"
        ]
      ) assert.include(lines, line)

      const buckets = samples.filter((s) => s.name === "limiter_hold_seconds_bucket" && s.labels.resource === "Db")
      assert.deepStrictEqual(buckets.map((s) => s.labels.le), [...Definitions.boundaries.map(String), "+Inf"])
      assert.deepStrictEqual(buckets.map((s) => s.value), [2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3])
      // Every series carries the limiter's labels first.
      for (const sample of samples.filter((s) => s.name.startsWith("limiter_"))) {
        assert.deepStrictEqual(Object.keys(sample.labels).slice(0, 2), ["limiter", "resource"], sample.name)
      }
    }).pipe(isolated))

  it.live("layerHttp serves GET /metrics beside guarded routes, from the registry the limiter writes", () => {
    const Db = Resource.make("Db", { capacity: 2 })
    const Routes = HttpRouter.add("GET", "/db", Effect.succeed(HttpServerResponse.text("done")).pipe(Limiter.withResources([Db])))
    // As the Metrics module's docs wire it, on the default registry.
    const Server = HttpRouter.serve(Layer.mergeAll(Routes, PrometheusMetrics.layerHttp({ path: "/metrics" })), {
      disableListenLog: true,
      disableLogger: true
    }).pipe(
      Layer.provide(Limiter.layer({ name: "web", timeout: "1 second", resources: [Db] })),
      Layer.provideMerge(TestServer)
    )
    return Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      for (let i = 0; i < 3; i++) assert.strictEqual(yield* (yield* client.get("/db")).text, "done")
      const response = yield* client.get("/metrics")
      assert.strictEqual(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
      const lines = (yield* response.text).split("\n")
      assert.include(lines, "limiter_capacity{limiter=\"web\",resource=\"Db\"} 2")
      assert.include(lines, "limiter_acquisitions_total{limiter=\"web\",resource=\"Db\",outcome=\"acquired\"} 3")
    }).pipe(Effect.provide(Server))
  })
})
