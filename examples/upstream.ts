/**
 * A rate-limited API to call, on 127.0.0.1: the upstream of the post the
 * outbound example reproduces. It admits at most `limit` requests in any
 * sliding `window` and at most `maxConcurrent` at once, and answers 429 with
 * `Retry-After` beyond either. Used by `examples/outbound.ts`,
 * `bench/outbound/outbound.ts` and the tests. The rules are `upstreamServer.ts`'s
 * (Effect-free, shared with the Effect 4 line's tests); this serves them
 * with the Effect 3 line's `NodeHttpServer`.
 *
 *   GET /items/:id  → 200 {"id": ":id"} after `latency`
 *
 * Only admitted requests count against the window, as most APIs count: a
 * client that is turned away is not punished further for asking.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Duration, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { Admission, tooManyRequestsBody, type UpstreamStats } from "./upstreamServer.js"

export interface UpstreamOptions {
  /** Requests admitted per sliding window. Default 100. */
  readonly limit?: number
  /** The sliding window. Default 1 second. */
  readonly window?: Duration.DurationInput
  /** Requests served at once. Default 10. */
  readonly maxConcurrent?: number
  /** How long serving an admitted request takes. Default 40 ms. */
  readonly latency?: Duration.DurationInput
}

export type { UpstreamStats }

export interface UpstreamService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly limit: number
  readonly window: Duration.Duration
  readonly maxConcurrent: number
  readonly stats: Effect.Effect<UpstreamStats>
  /** Zeroes the counters and empties the window, between runs. */
  readonly reset: Effect.Effect<void>
}

export class Upstream extends Context.Tag("examples/Upstream")<Upstream, UpstreamService>() {}

const tooManyRequests = (retryAfterSeconds: number, detail: string) =>
  HttpServerResponse.text(tooManyRequestsBody(detail), {
    status: 429,
    contentType: "application/json",
    headers: { "retry-after": String(retryAfterSeconds) }
  })

/** The upstream as an app, with its counters: no server of its own, for tests that serve it themselves. */
export const makeApp = (options: UpstreamOptions = {}) => {
  const window = Duration.decode(options.window ?? "1 second")
  const latency = Duration.decode(options.latency ?? "40 millis")
  const admission = new Admission({
    limit: options.limit,
    windowMs: Duration.toMillis(window),
    maxConcurrent: options.maxConcurrent
  })

  const serve = Effect.gen(function*() {
    const { id } = yield* HttpRouter.params
    const verdict = admission.enter()
    if (!verdict.admitted) return tooManyRequests(verdict.retryAfterSeconds, verdict.detail)
    return yield* Effect.sleep(latency).pipe(
      Effect.as(HttpServerResponse.unsafeJson({ id })),
      Effect.ensuring(Effect.sync(verdict.done))
    )
  })

  const app = HttpRouter.empty.pipe(
    HttpRouter.get("/items/:id", serve),
    HttpRouter.catchAll(() => HttpServerResponse.empty({ status: 400 }))
  )
  const stats = Effect.sync(() => admission.stats())
  const reset = Effect.sync(() => admission.reset())
  return { app, limit: admission.limit, window, maxConcurrent: admission.maxConcurrent, stats, reset }
}

/** Starts the upstream on an ephemeral port on 127.0.0.1 for the lifetime of the layer. */
export const layer = (options: UpstreamOptions = {}): Layer.Layer<Upstream, never> =>
  Layer.scoped(
    Upstream,
    Effect.gen(function*() {
      const { app, limit, window, maxConcurrent, stats, reset } = makeApp(options)
      const server = yield* HttpServer.HttpServer
      yield* server.serve(app)
      const address = server.address
      if (address._tag !== "TcpAddress") return yield* Effect.die(new Error("upstream: expected a TCP address"))
      return { url: `http://127.0.0.1:${address.port}`, limit, window, maxConcurrent, stats, reset }
    })
  ).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.orDie
  )

