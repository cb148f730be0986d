/**
 * Calling a rate-limited API without tripping its limits: the post's
 * scenario (an API that allows 100 requests per second and answers 429
 * beyond), against a local upstream this example starts itself
 * (`upstream.ts`: 127.0.0.1, ephemeral port, 100 requests per sliding
 * second, at most 10 at once, 429 with Retry-After beyond either).
 *
 *   npm run example:outbound              # 200 requests, as in the post
 *   npm run example:outbound -- 1000      # any count
 *
 * The 200 requests are fired at once, as `asyncio.gather` does; the client
 * bounds them: 10 in flight (the `Api` resource), 10 sent per 100 ms
 * (Effect's `RateLimiter`), and a 429 that comes anyway is retried after
 * its `Retry-After`, with the permit given back while waiting.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Either, Layer, Schema } from "effect"
import { LimitedHttpClient, Limiter, Resource } from "effect-concurrency-limiter"
import * as Upstream from "./upstream.js"

// 1. The upstream, as a resource: at most 10 requests in flight.
const Api = Resource.make("Api", { capacity: 10 })

// 2. The limiter that owns it. A request that waits longer than a minute for a permit fails with BusyError.
const LimiterLive = Limiter.layer({ timeout: "1 minute", resources: [Api] })

// 3. The HttpClient in context, decorated: code written against HttpClient.HttpClient needs no change.
const HttpClientLive = LimitedHttpClient.layer({
  resources: [Api],
  // The allowance (100/s) in tenths: a fixed window restarts only once it has passed.
  rate: { limit: 10, interval: "100 millis", algorithm: "fixed-window" },
  // 429 or 503: wait as Retry-After says (or back off), permit given back, at most 5 times.
  retry: { times: 5 }
}).pipe(Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, LimiterLive)))

const Item = Schema.Struct({ id: Schema.String })

const count = Number(process.argv[2] ?? 200)

const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const client = yield* HttpClient.HttpClient

  // As in the post: every request at once, a failure for anything but 200.
  const getItem = (i: number) =>
    client.get(`${upstream.url}/items/${i}`).pipe(
      Effect.flatMap((response): Effect.Effect<typeof Item.Type, unknown> =>
        response.status === 200
          ? HttpClientResponse.schemaBodyJson(Item)(response)
          : Effect.zipRight(response.text, Effect.fail(`Unexpected status ${response.status}`))
      )
    )
  const start = performance.now()
  const results = yield* Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) => Effect.either(getItem(i)),
    { concurrency: "unbounded" }
  )
  const seconds = (performance.now() - start) / 1000

  const ok = results.filter(Either.isRight).length
  const failures = results.filter(Either.isLeft).map((e) => String(e.left))
  const stats = yield* upstream.stats
  yield* Console.log(`${ok} of ${count} requests succeeded in ${seconds.toFixed(1)} s: ${(ok / seconds).toFixed(1)}/s, the allowance is 100/s`)
  yield* Console.log(`failures seen by the caller: ${failures.length}${failures.length > 0 ? ` (first: ${failures[0]})` : ""}`)
  yield* Console.log(`429s seen by the upstream: ${stats.rejectedRate} over the rate, ${stats.rejectedConcurrency} over the concurrency`)
  yield* Console.log(`at the upstream: at most ${stats.peakConcurrent} at once, at most ${stats.peakInWindow} in one second`)
})

program.pipe(
  Effect.provide(Layer.mergeAll(HttpClientLive, Upstream.layer())),
  NodeRuntime.runMain
)
