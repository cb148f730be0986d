/**
 * The rate-limited API of the outbound example, without Effect: its
 * admission rules (`Admission`) and a plain `node:http` server over them
 * (`start`). `upstream.ts` serves the same rules with the Effect 3 line's
 * `NodeHttpServer`; the Effect 4 line's tests start this one, so that both
 * lines are tested against one upstream.
 *
 *   GET /items/:id  → 200 {"id":":id"} after `latencyMs`
 *
 * At most `limit` requests are admitted in any sliding `windowMs` and at
 * most `maxConcurrent` are served at once; beyond either, 429 with
 * `Retry-After`. Only admitted requests count against the window, as most
 * APIs count: a client that is turned away is not punished further for
 * asking.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** The upstream's rules. */
export interface AdmissionOptions {
  /** Requests admitted per sliding window. Default 100. */
  readonly limit?: number | undefined
  /** The sliding window, in millis. Default 1000. */
  readonly windowMs?: number | undefined
  /** Requests served at once. Default 10. */
  readonly maxConcurrent?: number | undefined
}

/** What the upstream saw. */
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

/** An admission: served (call `done` when the response is written), or refused with how long to wait. */
export type Verdict =
  | { readonly admitted: true; readonly done: () => void }
  | { readonly admitted: false; readonly retryAfterSeconds: number; readonly detail: string }

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

const zero: UpstreamStats = { admitted: 0, rejectedRate: 0, rejectedConcurrency: 0, peakConcurrent: 0, peakInWindow: 0 }

/** The upstream's admission rules and counters, whatever serves them. */
export class Admission {
  readonly limit: number
  readonly windowMs: number
  readonly maxConcurrent: number
  private readonly sliding: SlidingWindow
  private inFlight = 0
  private counters: UpstreamStats = zero

  constructor(options: AdmissionOptions = {}) {
    this.limit = options.limit ?? 100
    this.windowMs = options.windowMs ?? 1000
    this.maxConcurrent = options.maxConcurrent ?? 10
    this.sliding = new SlidingWindow(this.limit, this.windowMs)
  }

  /** Admits a request arriving now, or refuses it. */
  enter(): Verdict {
    const c = this.counters
    if (this.inFlight >= this.maxConcurrent) {
      this.counters = { ...c, rejectedConcurrency: c.rejectedConcurrency + 1 }
      return { admitted: false, retryAfterSeconds: 1, detail: `more than ${this.maxConcurrent} concurrent requests` }
    }
    const verdict = this.sliding.tryAdmit(performance.now())
    if (!verdict.admitted) {
      this.counters = { ...c, rejectedRate: c.rejectedRate + 1 }
      // Retry-After is whole seconds: round up, so a client that obeys it finds a slot.
      return {
        admitted: false,
        retryAfterSeconds: Math.max(1, Math.ceil(verdict.waitMs / 1000)),
        detail: `more than ${this.limit} requests per ${this.windowMs} ms`
      }
    }
    this.inFlight++
    this.counters = {
      ...c,
      admitted: c.admitted + 1,
      peakConcurrent: Math.max(c.peakConcurrent, this.inFlight),
      peakInWindow: Math.max(c.peakInWindow, verdict.inWindow)
    }
    let done = false
    return {
      admitted: true,
      done: () => {
        if (done) return
        done = true
        this.inFlight--
      }
    }
  }

  stats(): UpstreamStats {
    return { ...this.counters }
  }

  /** Zeroes the counters and empties the window, between runs. */
  reset(): void {
    this.counters = zero
    this.sliding.clear()
  }
}

/** The body of a refusal. */
export const tooManyRequestsBody = (detail: string): string => JSON.stringify({ detail: `Too many requests: ${detail}` })

/** A running upstream. */
export interface RunningUpstream {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly admission: Admission
  /** Stops listening and closes every connection. */
  readonly close: () => Promise<void>
}

/** Starts the upstream on an ephemeral port on 127.0.0.1. */
export const start = (options: AdmissionOptions & { readonly latencyMs?: number | undefined } = {}): Promise<RunningUpstream> => {
  const admission = new Admission(options)
  const latencyMs = options.latencyMs ?? 40
  const server = Http.createServer((request, response) => {
    const match = request.method === "GET" ? /^\/items\/([^/?]+)$/.exec(request.url ?? "") : null
    if (match === null) {
      response.writeHead(400).end()
      return
    }
    const verdict = admission.enter()
    if (!verdict.admitted) {
      response.writeHead(429, { "content-type": "application/json", "retry-after": String(verdict.retryAfterSeconds) })
      response.end(tooManyRequestsBody(verdict.detail))
      return
    }
    // A client that hangs up does not stop the work: the slot is held for the whole latency.
    setTimeout(() => {
      verdict.done()
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: decodeURIComponent(match[1]!) }))
    }, latencyMs)
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        admission,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}
