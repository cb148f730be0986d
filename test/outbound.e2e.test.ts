/**
 * End to end over real sockets: the limited client against the example's
 * rate-limited upstream (`examples/upstream.ts`, 127.0.0.1, ephemeral
 * port), and a streaming body from a real server. Counts are kept small so
 * that the suite stays fast; `npm run bench:outbound` is the full run.
 */
import { HttpClient, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Stream } from "effect"
import { LimitedHttpClient, Limiter, Resource } from "effect-concurrency-limiter"
import * as Upstream from "../examples/upstream.js"
import { eventually, TestServer } from "./utils/TestServer.js"

const Api = Resource.make("Api", { capacity: 10 })
const LimiterLive = Limiter.layer({ timeout: "1 minute", resources: [Api] })

const apiUsage = Effect.flatMap(Api, (semaphore) => semaphore.stats)

/** Sends `count` GETs at once, as the post's `asyncio.gather` does; answers the statuses the caller saw. */
const fire = (client: HttpClient.HttpClient.With<unknown>, url: string, count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) => client.get(`${url}/items/${i}`).pipe(Effect.flatMap((r) => Effect.as(r.text, r.status))),
    { concurrency: "unbounded" }
  )

const count = (statuses: ReadonlyArray<number>, status: number) => statuses.filter((s) => s === status).length

describe("against the rate-limited upstream (100/s sliding, 10 at once)", () => {
  const Live = Layer.mergeAll(Upstream.layer(), NodeHttpClient.layerUndici, LimiterLive)

  it.live("the naive client gets 429s", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.Upstream
      const statuses = yield* fire(yield* HttpClient.HttpClient, upstream.url, 150)
      const stats = yield* upstream.stats
      assert.isAbove(count(statuses, 429), 0)
      assert.strictEqual(count(statuses, 200) + count(statuses, 429), 150)
      assert.strictEqual(stats.rejectedConcurrency + stats.rejectedRate, count(statuses, 429))
      assert.isAtMost(stats.peakConcurrent, 10)
    }).pipe(Effect.provide(Live)))

  it.live("the limited client: every request succeeds, no 429 reaches the caller, the rate is kept", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.Upstream
      const client = yield* LimitedHttpClient.make(yield* HttpClient.HttpClient, {
        resources: [Api],
        rate: { limit: 10, interval: "100 millis", algorithm: "fixed-window" },
        retry: { times: 5 }
      })
      const start = performance.now()
      const statuses = yield* fire(client, upstream.url, 250)
      const seconds = (performance.now() - start) / 1000
      const stats = yield* upstream.stats
      assert.strictEqual(count(statuses, 200), 250)
      assert.strictEqual(stats.admitted, 250)
      assert.isAtMost(stats.peakConcurrent, 10)
      // 25 windows of 10 per 100 ms: the last opens 2.4 s after the first (a timer never fires early).
      assert.isAtLeast(seconds, 2.3, `${seconds.toFixed(1)} s: faster than the rate allows`)
      // No upper bound on the time, which a busy machine sets: the share of the
      // allowance is the benchmark's business. What a slow client would do
      // wrong is checked instead: it ran calls in parallel (each window
      // releases 10 calls in one turn of the event loop, and the upstream
      // holds each for 40 ms), and the TestClock tests time the rate and the
      // retries exactly.
      assert.isAbove(stats.peakConcurrent, 1, "the calls ran one at a time")
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 0, waiting: 0 })
    }).pipe(Effect.scoped, Effect.provide(Live)))
})

describe("against a stricter upstream (20/s): the retries absorb the 429s", () => {
  const Live = Layer.mergeAll(Upstream.layer({ limit: 20, latency: "5 millis" }), NodeHttpClient.layerUndici, LimiterLive)

  it.live("no rate set: the upstream refuses, the client waits as Retry-After says, the caller sees only 200s", () =>
    Effect.gen(function*() {
      const upstream = yield* Upstream.Upstream
      const client = yield* LimitedHttpClient.make(yield* HttpClient.HttpClient, { resources: [Api], retry: { times: 5 } })
      const statuses = yield* fire(client, upstream.url, 40)
      const stats = yield* upstream.stats
      assert.strictEqual(count(statuses, 200), 40)
      assert.isAbove(stats.rejectedRate, 0, "the upstream did refuse some")
      assert.strictEqual(stats.admitted, 40)
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 0, waiting: 0 })
    }).pipe(Effect.scoped, Effect.provide(Live)))
})

/** Lets the test release each chunk of the streaming route. */
class Chunks extends Context.Tag("test/Chunks")<Chunks, { readonly next: Effect.Latch; readonly last: Effect.Latch }>() {
  static readonly layer = Layer.effect(
    Chunks,
    Effect.all({ next: Effect.makeLatch(false), last: Effect.makeLatch(false) })
  )
}

describe("a streaming body over a real socket", () => {
  const streaming = Effect.map(Chunks, ({ last, next }) =>
    HttpServerResponse.stream(
      Stream.make("first;").pipe(
        Stream.concat(Stream.fromEffect(Effect.as(next.await, "second;"))),
        Stream.concat(Stream.fromEffect(Effect.as(last.await, "last"))),
        Stream.encodeText
      )
    ))
  const ServerLive = HttpServer.serve(HttpRouter.empty.pipe(HttpRouter.get("/stream", streaming))).pipe(
    Layer.provideMerge(Chunks.layer),
    Layer.provideMerge(TestServer)
  )
  // The layer variant, over the test server's client (which prefixes the server's URL).
  const ClientLive = LimitedHttpClient.layer({ resources: [Api] }).pipe(Layer.provideMerge(LimiterLive))

  it.live("the permit is held until the stream is drained", () =>
    Effect.gen(function*() {
      const chunks = yield* Chunks
      const response = yield* HttpClient.get("/stream")
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 1, waiting: 0 }, "headers arrived: still held")
      const received: Array<string> = []
      const reader = yield* response.stream.pipe(
        Stream.decodeText(),
        Stream.runForEach((text) => Effect.sync(() => received.push(text))),
        Effect.fork
      )
      yield* eventually(Effect.sync(() => received.join("") === "first;"))
      yield* chunks.next.open
      yield* eventually(Effect.sync(() => received.join("") === "first;second;"))
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 1, waiting: 0 }, "half-way through: still held")
      yield* chunks.last.open
      yield* Fiber.join(reader)
      assert.strictEqual(received.join(""), "first;second;last")
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 0, waiting: 0 })
    }).pipe(Effect.provide(Layer.provideMerge(ClientLive, ServerLive))))
})
