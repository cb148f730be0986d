/**
 * `GET /metrics` end to end: the example app's routes and layer on a real
 * NodeHttpServer on an ephemeral 127.0.0.1 port, scraped over HTTP.
 *
 * Until the core publishes its metrics, the test updates metrics of its own
 * with the same names, types and boundaries, under the label
 * `resource="Fake"` so that they never mix with the core's series for `Db`
 * and `Fs`. To check the core's figures instead: take the metrics from
 * `src/Metrics.ts`, scrape before and after a burst, and compare with
 * `sumOf` as below.
 */
import { HttpClient, HttpServer } from "@effect/platform"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Fiber, Layer, Metric, MetricBoundaries } from "effect"
import { Limiter } from "effect-concurrency-limiter"
import { AppLive, routes } from "../examples/App.js"
import { contentType, serviceName } from "../examples/Metrics.js"
import { Db } from "../examples/Resources.js"
import { parse, parseSampleLine, scrape, seriesKey, sumOf } from "./utils/prometheus.js"
import { TestServer } from "./utils/TestServer.js"

describe("the Prometheus text parser", () => {
  it("reads names, labels, escapes, special values and timestamps, and skips comments", () => {
    const samples = parse([
      "# HELP a_total description missing",
      "# UNIT a_total 1",
      "# TYPE a_total counter",
      "a_total{resource=\"Db\",outcome=\"acquired\"} 7",
      "",
      "b{x=\"q\\\"uo{te},=\",y=\"back\\\\slash\\nline\",} 1.5e-3 1700000000000",
      "c_bucket{le=\"+Inf\"} +Inf",
      "d -Inf",
      "e NaN"
    ].join("\n"))
    assert.deepStrictEqual([...samples.keys()], [
      "a_total{outcome=\"acquired\",resource=\"Db\"}",
      "b{x=\"q\\\"uo{te},=\",y=\"back\\\\slash\\nline\"}",
      "c_bucket{le=\"+Inf\"}",
      "d",
      "e"
    ])
    assert.strictEqual(samples.get(seriesKey("a_total", { resource: "Db", outcome: "acquired" })), 7)
    assert.strictEqual(samples.get(seriesKey("b", { x: "q\"uo{te},=", y: "back\\slash\nline" })), 0.0015)
    assert.strictEqual(samples.get("c_bucket{le=\"+Inf\"}"), Infinity)
    assert.strictEqual(samples.get("d"), -Infinity)
    assert.isNaN(samples.get("e"))
    assert.strictEqual(sumOf(samples, "a_total", { resource: "Db" }), 7)
    assert.strictEqual(sumOf(samples, "a_total", { resource: "Fs" }), 0)
  })

  it("rejects malformed lines and duplicate series", () => {
    for (
      const bad of [
        "a",
        "a{b=\"c\"}",
        "a{b=\"c} 1",
        "a{b=c} 1",
        "a{b=\"c\" d=\"e\"} 1",
        "a{b=\"\\x\"} 1",
        "a 1 2 3",
        "a one",
        "a 1 1.5",
        "1a 1"
      ]
    ) {
      assert.throws(() => parseSampleLine(bad), undefined, undefined, bad)
    }
    assert.throws(() => parse("a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2"), /duplicate series/)
  })
})

/** The same shape as the core's metrics (see `src/Metrics.ts`), under `resource="Fake"`. */
const boundaries = MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 })
const resource = "Fake"
const fake = {
  capacity: Metric.gauge("limiter_capacity").pipe(Metric.tagged("resource", resource)),
  inUse: Metric.gauge("limiter_in_use").pipe(Metric.tagged("resource", resource)),
  waiting: Metric.gauge("limiter_waiting").pipe(Metric.tagged("resource", resource)),
  waitSeconds: Metric.histogram("limiter_wait_seconds", boundaries).pipe(Metric.tagged("resource", resource)),
  holdSeconds: Metric.histogram("limiter_hold_seconds", boundaries).pipe(Metric.tagged("resource", resource)),
  acquisitions: (outcome: "acquired" | "timeout" | "queue-full" | "interrupted") =>
    Metric.counter("limiter_acquisitions", { incremental: true }).pipe(
      Metric.tagged("resource", resource),
      Metric.tagged("outcome", outcome)
    )
}

/**
 * The app on a random port. `AppLive` is merged, not just provided, so the
 * tests can hold `Db` permits through the app's own limiter. `Db` gets one
 * permit and no waiting, so a held permit means an immediate 503.
 */
const TestApp = HttpServer.serve(routes).pipe(
  Layer.provideMerge(AppLive),
  Layer.provideMerge(TestServer),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({
    EMBEDDED_ROWS: "200",
    DB_CONCURRENCY: "1",
    LIMITER_TIMEOUT: "0 millis"
  })))
)

/** `scrape` of this server, whose port is only known once it listens. */
const scrapeApp = HttpServer.addressFormattedWith(scrape)

const get = (path: string) => HttpClient.get(path).pipe(Effect.scoped)

layer(TestApp, { timeout: "2 minutes", excludeTestServices: true })("GET /metrics", (it) => {
  it.effect("is a 200 in the Prometheus text format, with the example's service name", () =>
    Effect.gen(function*() {
      const res = yield* HttpClient.get("/metrics")
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.headers["content-type"], contentType)
      const samples = parse(yield* res.text)
      assert.strictEqual(sumOf(samples, "target_info", { service_name: serviceName }), 1)
    }).pipe(Effect.scoped))

  it.effect("shows gauges, counters and histograms as they are updated", () =>
    Effect.gen(function*() {
      const before = yield* scrapeApp
      yield* Metric.set(fake.capacity, 5)
      yield* Metric.set(fake.inUse, 3)
      yield* Metric.set(fake.waiting, 2)
      yield* Metric.incrementBy(fake.acquisitions("acquired"), 3)
      yield* Metric.increment(fake.acquisitions("timeout"))
      yield* Metric.update(fake.waitSeconds, 0.003)
      yield* Metric.update(fake.waitSeconds, 0.003)
      yield* Metric.update(fake.holdSeconds, 0.1)
      const after = yield* scrapeApp
      const delta = (name: string, labels: Record<string, string> = {}) =>
        sumOf(after, name, { resource, ...labels }) - sumOf(before, name, { resource, ...labels })

      assert.strictEqual(after.get(seriesKey("limiter_capacity", { resource })), 5)
      assert.strictEqual(after.get(seriesKey("limiter_in_use", { resource })), 3)
      assert.strictEqual(after.get(seriesKey("limiter_waiting", { resource })), 2)
      // An incremental Effect counter is a Prometheus counter: `_total`.
      assert.strictEqual(delta("limiter_acquisitions_total", { outcome: "acquired" }), 3)
      assert.strictEqual(delta("limiter_acquisitions_total", { outcome: "timeout" }), 1)
      assert.strictEqual(delta("limiter_acquisitions_total"), 4)
      // Cumulative buckets, `le` as written by the exporter, then `+Inf`.
      assert.strictEqual(delta("limiter_wait_seconds_count"), 2)
      assert.closeTo(delta("limiter_wait_seconds_sum"), 0.006, 1e-9)
      assert.strictEqual(delta("limiter_wait_seconds_bucket", { le: "0.002" }), 0)
      assert.strictEqual(delta("limiter_wait_seconds_bucket", { le: "0.004" }), 2)
      assert.strictEqual(delta("limiter_wait_seconds_bucket", { le: "16.384" }), 2)
      assert.strictEqual(delta("limiter_wait_seconds_bucket", { le: "+Inf" }), 2)
      assert.strictEqual(delta("limiter_hold_seconds_bucket", { le: "0.064" }), 0)
      assert.strictEqual(delta("limiter_hold_seconds_bucket", { le: "0.128" }), 1)
      // 15 finite boundaries and `+Inf`: Effect's `count` includes the last.
      const buckets = [...after.keys()].filter((key) =>
        key.startsWith("limiter_wait_seconds_bucket{") && key.includes(`resource="${resource}"`)
      )
      assert.strictEqual(buckets.length, 16)
    }))

  it.effect("answers while every Db permit is held, when the guarded routes get 503s", () =>
    Effect.gen(function*() {
      const held = yield* Deferred.make<void>()
      const holder = yield* Deferred.succeed(held, undefined).pipe(
        Effect.zipRight(Effect.never),
        Limiter.withResources([Db]),
        Effect.fork
      )
      yield* Deferred.await(held)
      assert.strictEqual((yield* get("/messages")).status, 503)
      assert.strictEqual((yield* get("/metrics")).status, 200)
      yield* Fiber.interrupt(holder)
    }))
})
