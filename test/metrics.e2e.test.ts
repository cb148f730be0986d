/**
 * `GET /metrics` end to end: the example app's routes and layer on a real
 * NodeHttpServer on an ephemeral 127.0.0.1 port, scraped over HTTP during a
 * burst and after it. Counters are compared as differences between
 * scrapes, and gauges are read while this test holds the resource. Nothing
 * here is bounded by a fixed wall-clock time: the test waits for events,
 * and checks the wait times recorded against what it measured itself.
 */
import { HttpClient, HttpServer } from "@effect/platform"
import { assert, describe, it, layer } from "@effect/vitest"
import { Clock, ConfigProvider, Deferred, Effect, Fiber, Layer } from "effect"
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

/**
 * The app on a random port. `AppLive` is merged, not just provided, so the
 * tests can hold `Db` permits through the app's own limiter. `Db` gets two
 * permits and room for two waiters, so a burst splits into holders, waiters
 * and immediate 503s.
 */
const TestApp = HttpServer.serve(routes).pipe(
  Layer.provideMerge(AppLive),
  Layer.provideMerge(TestServer),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({
    EMBEDDED_ROWS: "200",
    DB_CONCURRENCY: "2",
    DB_MAX_WAITING: "2",
    LIMITER_TIMEOUT: "30 seconds"
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

  it.effect("agrees with what a burst did, while the burst is on and after it", () =>
    Effect.gen(function*() {
      // The example's limiter has no name: its series are `limiter="default"`.
      const db = { limiter: "default", resource: "Db" }
      const started = yield* Clock.currentTimeMillis
      const before = yield* scrapeApp
      const delta = (now: Map<string, number>, name: string, labels: Record<string, string> = {}) =>
        sumOf(now, name, { ...db, ...labels }) - sumOf(before, name, { ...db, ...labels })

      // Two holders take both Db permits through the app's own limiter.
      const gate = yield* Deferred.make<void>()
      const holders = yield* Effect.forEach([1, 2], () =>
        Effect.gen(function*() {
          const holding = yield* Deferred.make<void>()
          const fiber = yield* Deferred.succeed(holding, undefined).pipe(
            Effect.zipRight(Deferred.await(gate)),
            Limiter.withResources([Db]),
            Effect.fork
          )
          yield* Deferred.await(holding)
          return fiber
        }))
      // A burst of five: two queue, three find the queue full (and are
      // answered at once: `refused` opens when three have their answer).
      const refused = yield* Deferred.make<void>()
      let answered = 0
      const burst = yield* Effect.forEach([1, 2, 3, 4, 5], (i) =>
        get(`/messages?user_id=${i}`).pipe(
          Effect.map((res) => res.status),
          Effect.ensuring(Effect.suspend(() => ++answered === 3 ? Deferred.succeed(refused, undefined) : Effect.void)),
          Effect.fork
        ))
      // Refused for a full queue, so the other two were queued by now: no
      // polling, and no bound of our own (real sockets): only the test's timeout.
      yield* Deferred.await(refused)
      const queued = yield* Clock.currentTimeMillis

      const during = yield* scrapeApp
      assert.strictEqual(during.get(seriesKey("limiter_capacity", db)), 2)
      assert.strictEqual(during.get(seriesKey("limiter_in_use", db)), 2)
      assert.strictEqual(during.get(seriesKey("limiter_waiting", db)), 2)
      assert.strictEqual(delta(during, "limiter_acquisitions_total", { outcome: "queue-full" }), 3)
      assert.strictEqual(delta(during, "limiter_acquisitions_total", { outcome: "acquired" }), 2)

      // Keep them waiting a little, so that their waits are long enough to
      // tell seconds from millis below.
      yield* Effect.sleep("20 millis")
      const opened = yield* Clock.currentTimeMillis
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(holders, Fiber.join)
      const statuses = yield* Effect.forEach(burst, Fiber.join)
      assert.deepStrictEqual([...statuses].sort(), [200, 200, 503, 503, 503])

      const after = yield* scrapeApp
      const ended = yield* Clock.currentTimeMillis
      assert.strictEqual(after.get(seriesKey("limiter_in_use", db)), 0)
      assert.strictEqual(after.get(seriesKey("limiter_waiting", db)), 0)
      assert.strictEqual(delta(after, "limiter_acquisitions_total", { outcome: "acquired" }), 4)
      assert.strictEqual(delta(after, "limiter_acquisitions_total", { outcome: "queue-full" }), 3)
      assert.strictEqual(delta(after, "limiter_acquisitions_total", { outcome: "timeout" }), 0)
      // Every acquisition is timed, refusals included; every grant's hold too.
      assert.strictEqual(delta(after, "limiter_wait_seconds_count"), 7)
      assert.strictEqual(delta(after, "limiter_hold_seconds_count"), 4)
      // In seconds, and as long as measured here: the two waiters waited
      // from before `queued` to after `opened`; no wait was longer than
      // the whole test. (No fixed bound: how long a refusal takes depends
      // on the machine's load.)
      const waited = delta(after, "limiter_wait_seconds_sum")
      assert.isAtLeast(waited, (2 * (opened - queued)) / 1000 - 1e-9)
      assert.isAtMost(waited, (7 * (ended - started)) / 1000 + 1e-9)
      assert.strictEqual(delta(after, "limiter_wait_seconds_bucket", { le: "+Inf" }), 7)
      // 16 finite boundaries, 1 ms to 32.768 s, and `+Inf`.
      const buckets = [...after.keys()].filter((key) =>
        key.startsWith("limiter_wait_seconds_bucket{") && key.includes(`resource="Db"`) && key.includes(`limiter="default"`)
      )
      assert.strictEqual(buckets.length, 17)
      assert.isTrue(buckets.some((key) => key.includes(`le="32.768"`)))
    }))
})
