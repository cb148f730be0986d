/**
 * A rate-limited API to call, on 127.0.0.1: the upstream of the post the
 * outbound example reproduces. It admits at most `limit` requests in any
 * sliding `window` and at most `maxConcurrent` at once, and answers 429 with
 * `Retry-After` beyond either. Used by `examples/outbound.ts`,
 * `bench/outbound.ts` and the tests.
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

export interface UpstreamStats {
  /** Requests served with 200. */
  readonly admitted: number
  /** 429s because the window was full. */
  readonly rejectedRate: number
  /** 429s because `maxConcurrent` were being served. */
  readonly rejectedConcurrency: number
  /** The most requests served at once. */
  readonly peakConcurrent: number
  /** The most admitted requests in one window. */
  readonly peakInWindow: number
}

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

/** The sliding window: admission times (ms, monotonic), oldest first, in a ring buffer of `limit` slots. */
class SlidingWindow {
  private readonly times: Float64Array
  private start = 0
  private size = 0

  constructor(readonly limit: number, readonly windowMs: number) {
    this.times = new Float64Array(limit)
  }

  private evict(now: number) {
    while (this.size > 0 && this.times[this.start]! <= now - this.windowMs) {
      this.start = (this.start + 1) % this.limit
      this.size--
    }
  }

  /** Admits `now` if fewer than `limit` were admitted in (now - window, now]; otherwise answers how long until a slot frees. */
  tryAdmit(now: number): { readonly admitted: true; readonly inWindow: number } | { readonly admitted: false; readonly waitMs: number } {
    this.evict(now)
    if (this.size >= this.limit) return { admitted: false, waitMs: this.times[this.start]! + this.windowMs - now }
    this.times[(this.start + this.size) % this.limit] = now
    this.size++
    return { admitted: true, inWindow: this.size }
  }

  clear() {
    this.start = 0
    this.size = 0
  }
}

const tooManyRequests = (retryAfterSeconds: number, reason: string) =>
  HttpServerResponse.unsafeJson({ detail: `Too many requests: ${reason}` }, {
    status: 429,
    headers: { "retry-after": String(retryAfterSeconds) }
  })

/** The upstream as an app, with its counters: no server of its own, for tests that serve it themselves. */
export const makeApp = (options: UpstreamOptions = {}) => {
  const limit = options.limit ?? 100
  const window = Duration.decode(options.window ?? "1 second")
  const maxConcurrent = options.maxConcurrent ?? 10
  const latency = Duration.decode(options.latency ?? "40 millis")
  const sliding = new SlidingWindow(limit, Duration.toMillis(window))
  let inFlight = 0
  let counters = { admitted: 0, rejectedRate: 0, rejectedConcurrency: 0, peakConcurrent: 0, peakInWindow: 0 }

  const serve = Effect.gen(function*() {
    const { id } = yield* HttpRouter.params
    if (inFlight >= maxConcurrent) {
      counters.rejectedConcurrency++
      return tooManyRequests(1, `more than ${maxConcurrent} concurrent requests`)
    }
    const verdict = sliding.tryAdmit(performance.now())
    if (!verdict.admitted) {
      counters.rejectedRate++
      // Retry-After is whole seconds: round up, so a client that obeys it finds a slot.
      return tooManyRequests(Math.max(1, Math.ceil(verdict.waitMs / 1000)), `more than ${limit} requests per ${Duration.format(window)}`)
    }
    counters.admitted++
    inFlight++
    counters.peakConcurrent = Math.max(counters.peakConcurrent, inFlight)
    counters.peakInWindow = Math.max(counters.peakInWindow, verdict.inWindow)
    return yield* Effect.sleep(latency).pipe(
      Effect.as(HttpServerResponse.unsafeJson({ id })),
      Effect.ensuring(Effect.sync(() => inFlight--))
    )
  })

  const app = HttpRouter.empty.pipe(
    HttpRouter.get("/items/:id", serve),
    HttpRouter.catchAll(() => HttpServerResponse.empty({ status: 400 }))
  )
  const stats = Effect.sync((): UpstreamStats => ({ ...counters }))
  const reset = Effect.sync(() => {
    counters = { admitted: 0, rejectedRate: 0, rejectedConcurrency: 0, peakConcurrent: 0, peakInWindow: 0 }
    sliding.clear()
  })
  return { app, limit, window, maxConcurrent, stats, reset }
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

