/**
 * End to end over real sockets: the limited client against the outbound
 * example's rate-limited upstream (examples/upstreamServer.ts, Effect-free,
 * the one the Effect 3 line's tests serve; 127.0.0.1, ephemeral port), and
 * a streaming body from a real `NodeHttpServer`. Counts are kept small so
 * that the suite stays fast. The Effect 3 line's test/outbound.e2e.test.ts.
 */
import { LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { type AdmissionOptions, start } from "../../../examples/upstreamServer.js"
import { TestServer } from "./utils/TestServer.js"

const Api = Resource.make("Api", { capacity: 10 })
const LimiterLive = Limiter.layer({ timeout: "1 minute", resources: [Api] })

const apiUsage = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats).pipe(
  Effect.map((all) => all.find((s) => s.resource === "Api")!),
  Effect.map(({ capacity, inUse, waiting }) => ({ capacity, inUse, waiting }))
)

/** The upstream, for the life of the test's scope. */
const upstream = (options: AdmissionOptions & { readonly latencyMs?: number } = {}) =>
  Effect.acquireRelease(Effect.promise(() => start(options)), (running) => Effect.promise(running.close))

/** Sends `count` GETs at once, as the post's `asyncio.gather` does; answers the statuses the caller saw. */
const fire = <E>(client: HttpClient.HttpClient.With<E>, url: string, count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) => client.get(`${url}/items/${i}`).pipe(Effect.flatMap((r) => Effect.as(r.text, r.status))),
    { concurrency: "unbounded" }
  )

const count = (statuses: ReadonlyArray<number>, status: number) => statuses.filter((s) => s === status).length

const Live = Layer.mergeAll(NodeHttpClient.layerUndici, LimiterLive)

describe("against the rate-limited upstream (100/s sliding, 10 at once)", () => {
  it.live("the naive client gets 429s", () =>
    Effect.gen(function*() {
      const { admission, url } = yield* upstream()
      const statuses = yield* fire(yield* HttpClient.HttpClient, url, 150)
      const stats = admission.stats()
      assert.isAbove(count(statuses, 429), 0)
      assert.strictEqual(count(statuses, 200) + count(statuses, 429), 150)
      assert.strictEqual(stats.rejectedConcurrency + stats.rejectedRate, count(statuses, 429))
      assert.isAtMost(stats.peakConcurrent, 10)
    }).pipe(Effect.provide(Live)))

  it.live("the limited client: every request succeeds, no 429 reaches the caller, the rate is kept", () =>
    Effect.gen(function*() {
      const { admission, url } = yield* upstream()
      const client = yield* LimitedHttpClient.make(yield* HttpClient.HttpClient, {
        resources: [Api],
        rate: { limit: 10, interval: "100 millis", algorithm: "fixed-window" },
        retry: { times: 5 }
      })
      const start = performance.now()
      const statuses = yield* fire(client, url, 250)
      const seconds = (performance.now() - start) / 1000
      const stats = admission.stats()
      assert.strictEqual(count(statuses, 200), 250)
      assert.strictEqual(stats.admitted, 250)
      assert.isAtMost(stats.peakConcurrent, 10)
      // 25 windows of 10 per 100 ms: the last opens 2.4 s after the first (a timer never fires early).
      assert.isAtLeast(seconds, 2.3, `${seconds.toFixed(1)} s: faster than the rate allows`)
      // No upper bound on the time, which a busy machine sets; what a slow
      // client would do wrong is checked instead: it ran calls one at a time.
      assert.isAbove(stats.peakConcurrent, 1, "the calls ran one at a time")
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 0, waiting: 0 })
    }).pipe(Effect.provide(Live)))
})

describe("against a stricter upstream (20/s): the retries absorb the 429s", () => {
  it.live("no rate set: the upstream refuses, the client waits as Retry-After says, the caller sees only 200s", () =>
    Effect.gen(function*() {
      const { admission, url } = yield* upstream({ limit: 20, latencyMs: 5 })
      const client = yield* LimitedHttpClient.make(yield* HttpClient.HttpClient, { resources: [Api], retry: { times: 5 } })
      const statuses = yield* fire(client, url, 40)
      const stats = admission.stats()
      assert.strictEqual(count(statuses, 200), 40)
      assert.isAbove(stats.rejectedRate, 0, "the upstream did refuse some")
      assert.strictEqual(stats.admitted, 40)
      assert.deepStrictEqual(yield* apiUsage, { capacity: 10, inUse: 0, waiting: 0 })
    }).pipe(Effect.provide(Live)))
})

/** Lets the test release each chunk of the streaming route. */
class Chunks extends Context.Service<Chunks, { readonly next: Latch.Latch; readonly last: Latch.Latch }>()("test/Chunks") {
  static readonly layer = Layer.effect(Chunks, Effect.all({ next: Latch.make(false), last: Latch.make(false) }))
}

/** Polls `condition` on the live clock until it holds (a second at most). */
const eventually = (condition: Effect.Effect<boolean>) =>
  condition.pipe(
    Effect.flatMap((ok) => ok ? Effect.void : Effect.fail("not yet")),
    Effect.retry(Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 100 }))),
    Effect.orDie
  )

describe("a streaming body over a real socket", () => {
  const Routes = HttpRouter.add(
    "GET",
    "/stream",
    Effect.map(Chunks, ({ last, next }) =>
      HttpServerResponse.stream(
        Stream.make("first;").pipe(
          Stream.concat(Stream.fromEffect(Effect.as(next.await, "second;"))),
          Stream.concat(Stream.fromEffect(Effect.as(last.await, "last"))),
          Stream.encodeText
        )
      ))
  )
  const ServerLive = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true }).pipe(
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
        Effect.forkChild
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
