/**
 * The short version of `npm run stress:connections` and
 * `npm run stress:disconnects`: the same client, pacing, wave and storm code
 * (`bench/stress/`), against the example app served by NodeHttpServer on an
 * ephemeral 127.0.0.1 port, with 500 connections and a 300-client storm.
 * The limiter's state is read from the app's own `/metrics`.
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Runtime, Schedule } from "effect"
import { Limiter, type Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"
import { pollGauges } from "../bench/stress/gauges.js"
import { readListenBacklog } from "../bench/stress/listenBacklog.js"
import type { Pace } from "../bench/stress/pacing.js"
import { runStorm, stormFailures } from "../bench/stress/storm.js"
import { runWave, waveFailures } from "../bench/stress/wave.js"
import { AppLive, routes } from "../examples/App.js"
import { Db } from "../examples/Resources.js"

/** The example app on a random port, configured by `env` alone; its limiter and `Db` are the test's too. */
const serve = (env: Record<string, string>) =>
  HttpServer.serve(routes).pipe(
    Layer.provideMerge(AppLive),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ EMBEDDED_ROWS: "2000", DB_CONCURRENCY: "5", ...env })))
  )

const portOf = Effect.map(HttpServer.HttpServer, (server) => (server.address as HttpServer.TcpAddress).port)

/**
 * 500 connections fit in Node's listen backlog (511), so the accept-queue
 * gating of the full runs (an `ss` call every few ms, slow on a busy
 * machine) is left out; the backlog is checked instead.
 */
const paceFor = (port: number, connections: number): Pace => {
  assert.isAtLeast(readListenBacklog(port).backlog, connections)
  return { ratePerSecond: 5000, maxPending: 256 }
}

const options = { timeout: "1 minute", excludeTestServices: true } as const

/**
 * Wall-clock bounds. Each stands for "never" (a request that hangs, a
 * permit or a waiter that leaks) and is far above what the machine takes,
 * so it holds on a loaded 2-core machine; a run that passes returns as soon
 * as the condition holds, so a large bound costs nothing:
 * - a response within 10 s of its request, where the limiter answers 503
 *   after 300 ms at most (the whole wave takes ~2.5 s with the load
 *   average at 4.5);
 * - the limiter idle within 30 s after the last response or disconnect,
 *   where it is idle at the first or second scrape (~50 ms);
 * - the request after the storm answered within 10 s: leaked capacity would
 *   keep it for the server's 10-minute limiter timeout (it is served in
 *   ~15 ms).
 * Each test's own timeout is the sum of its bounds and more, so that a slow
 * run fails with its figures rather than a bare timeout.
 */
const responseTimeoutMs = 10_000
const settleTimeoutMs = 30_000
const nextWithinMs = 10_000

layer(serve({ LIMITER_TIMEOUT: "300 millis" }), options)("500 concurrent connections", (it) => {
  it.effect("every request ends in a 200 or a well-formed 503, none reset or dropped, and the limiter is idle after", () =>
    Effect.gen(function*() {
      const port = yield* portOf
      const connections = 500
      const result = yield* Effect.promise(() =>
        runWave({ host: "127.0.0.1", port, path: "/messages", connections, pace: paceFor(port, connections), responseTimeoutMs })
      )
      assert.deepStrictEqual(waveFailures(result, connections), [], JSON.stringify({ ...result, errors: [...result.errors] }))
      assert.strictEqual(result.peakHeld, connections)
      const after = yield* Effect.promise(() =>
        pollGauges(`http://127.0.0.1:${port}`, (g) => g.waiting === 0 && g.inUse === 0, settleTimeoutMs)
      )
      assert.isTrue(after.met, JSON.stringify(after.gauges))
    }), 90_000)
})

layer(serve({ LIMITER_TIMEOUT: "10 minutes" }), options)("a disconnect storm of 300 queued clients", (it) => {
  it.effect("leaves nobody waiting, nothing held, and the next request is served at once", () =>
    Effect.gen(function*() {
      const port = yield* portOf
      const clients = 300
      const seed = Date.now() % 2 ** 31
      // The test holds every Db permit, so that every request queues; it
      // lets them go once a disconnect has left the queue (nothing else can
      // while the permits are held), so that some clients are certainly
      // dropped while queued, whatever the machine's speed, and the rest of
      // the storm meets permits being granted, as in the full run.
      const stats = Effect.flatMap(Db, (db) => db.stats)
      const { capacity } = yield* stats
      const gate = yield* Effect.makeLatch(false)
      const holders = yield* Effect.forkAll(Array.from({ length: capacity }, () => gate.await.pipe(Limiter.withResources([Db]))))
      yield* Effect.repeat(stats, { until: (s) => s.inUse === capacity, schedule: Schedule.spaced("5 millis") })
      const release = stats.pipe(
        Effect.repeat({ until: (s) => s.waiting < clients, schedule: Schedule.spaced("5 millis") }),
        Effect.zipRight(gate.open)
      )
      const runtime = yield* Effect.runtime<Resource.Resource.Identifier<"Db">>()
      const result = yield* Effect.promise(() =>
        runStorm({
          host: "127.0.0.1",
          port,
          path: "/messages",
          clients,
          pace: paceFor(port, clients),
          seed,
          spreadMs: 500,
          settleTimeoutMs,
          duringStorm: () => Runtime.runPromise(runtime)(release)
        })
      )
      yield* Fiber.join(holders)
      const detail = JSON.stringify({ ...result, unexpected: [...result.unexpected] })
      assert.deepStrictEqual(stormFailures(result, clients, nextWithinMs), [], `seed ${seed}: ${detail}`)
      assert.strictEqual(result.waitingBefore, clients, detail)
      assert.strictEqual(result.after.waiting, 0, detail)
      assert.strictEqual(result.after.inUse, 0, detail)
      assert.isAbove(result.disconnectedWhileQueued, 0, detail)
    }), 90_000)
})
