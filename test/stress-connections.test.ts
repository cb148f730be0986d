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
import { ConfigProvider, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { pollGauges } from "../bench/stress/gauges.js"
import { readListenBacklog } from "../bench/stress/listenBacklog.js"
import type { Pace } from "../bench/stress/pacing.js"
import { runStorm, stormFailures } from "../bench/stress/storm.js"
import { runWave, waveFailures } from "../bench/stress/wave.js"
import { AppLive, routes } from "../examples/App.js"

/** The example app on a random port, configured by `env` alone. */
const serve = (env: Record<string, string>) =>
  HttpServer.serve(routes).pipe(
    Layer.provide(AppLive),
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

layer(serve({ LIMITER_TIMEOUT: "300 millis" }), options)("500 concurrent connections", (it) => {
  it.effect("every request ends in a 200 or a well-formed 503, none reset or dropped, and the limiter is idle after", () =>
    Effect.gen(function*() {
      const port = yield* portOf
      const connections = 500
      const result = yield* Effect.promise(() =>
        runWave({ host: "127.0.0.1", port, path: "/messages", connections, pace: paceFor(port, connections), responseTimeoutMs: 10_000 })
      )
      assert.deepStrictEqual(waveFailures(result, connections), [], JSON.stringify({ ...result, errors: [...result.errors] }))
      assert.strictEqual(result.peakHeld, connections)
      const after = yield* Effect.promise(() =>
        pollGauges(`http://127.0.0.1:${port}`, (g) => g.waiting === 0 && g.inUse === 0, 5000)
      )
      assert.isTrue(after.met, JSON.stringify(after.gauges))
    }), 20_000)
})

layer(serve({ LIMITER_TIMEOUT: "10 minutes" }), options)("a disconnect storm of 300 queued clients", (it) => {
  it.effect("leaves nobody waiting, nothing held, and the next request is served at once", () =>
    Effect.gen(function*() {
      const port = yield* portOf
      const clients = 300
      const seed = Date.now() % 2 ** 31
      const result = yield* Effect.promise(() =>
        runStorm({
          host: "127.0.0.1",
          port,
          path: "/messages",
          clients,
          pace: paceFor(port, clients),
          seed,
          spreadMs: 500,
          settleTimeoutMs: 5000
        })
      )
      const detail = JSON.stringify({ ...result, unexpected: [...result.unexpected] })
      assert.deepStrictEqual(stormFailures(result, clients, 1000), [], `seed ${seed}: ${detail}`)
      assert.strictEqual(result.after.waiting, 0, detail)
      assert.strictEqual(result.after.inUse, 0, detail)
      assert.isAbove(result.disconnectedWhileQueued, 0, detail)
    }), 20_000)
})
