/**
 * A closed-loop virtual-user load generator with k6 semantics: each VU sends
 * `GET path`, waits for the whole response (or the client timeout), and
 * immediately sends the next one (no think time). VU counts follow the
 * scenario's ramping stages; a VU told to stop finishes its current request
 * first, as k6's graceful ramp-down does.
 */
import { performance } from "node:perf_hooks"
import { Pool } from "undici"
import { Aggregator, classifyStatus, type LatencyLogs, type Outcome, type SecondRow } from "./aggregate.js"
import { durationOf, maxVUsOf, type Scenario, vusAt } from "./stages.js"

/** Options of {@link runLoad}. */
export interface RunOptions {
  /** e.g. `http://127.0.0.1:8000`. Only loopback targets are accepted. */
  readonly baseUrl: string
  readonly scenarios: ReadonlyArray<Scenario>
  /** Client timeout per request, headers and body included (k6 `timeout`). */
  readonly timeoutMs: number
  /** How often VU targets are re-evaluated; 50 ms keeps ramps smooth. */
  readonly tickMs?: number
  /** Called with each second's rows as soon as that second is over. */
  readonly onSecond?: (rows: ReadonlyArray<SecondRow>) => void
  /**
   * A VU that gets a 503 with `Retry-After: N` waits N seconds before its
   * next request, as a polite client does. Default `false`: k6's VUs of the
   * original benchmark retry at once.
   */
  readonly honourRetryAfter?: boolean
}

/** What {@link runLoad} returns. */
export interface RunResult {
  readonly rows: ReadonlyArray<SecondRow>
  readonly durationMs: number
  /** What the "other errors" were, per endpoint: `HTTP 500`, `ECONNRESET`, ... with counts. */
  readonly errorKinds: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** Every request's latency, by endpoint and outcome. */
  readonly latencies: LatencyLogs
  /**
   * How every request ended, per endpoint: the HTTP status (`"200"`, `"503"`,
   * ...), `"timeout"`, or the client error's code (`"ECONNRESET"`, ...), with
   * counts. Finer than the outcomes, which take any 2xx as ok.
   */
  readonly statuses: Readonly<Record<string, Readonly<Record<string, number>>>>
}

/** Refuses anything but loopback: this generator must never leave the machine. */
export const assertLoopback = (baseUrl: string): URL => {
  const url = new URL(baseUrl)
  if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost" && url.hostname !== "[::1]") {
    throw new Error(`refusing to load ${baseUrl}: only loopback targets are allowed`)
  }
  return url
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Vu {
  stop: boolean
}

/**
 * Runs every scenario concurrently for its full duration and returns the
 * per-second rows. Requests still in flight at the end are awaited (each is
 * bounded by the client timeout) and counted in the seconds they finish in.
 */
export const runLoad = async (options: RunOptions): Promise<RunResult> => {
  const url = assertLoopback(options.baseUrl)
  const origin = url.origin
  const tickMs = options.tickMs ?? 50
  const aggregator = new Aggregator(options.scenarios.map((s) => s.name))
  const t0 = performance.now()
  const elapsed = () => performance.now() - t0
  const totalMs = Math.max(...options.scenarios.map(durationOf))

  // One pool per scenario with a connection per VU, like k6's per-VU
  // connections: a VU never queues behind another VU inside the client.
  const pools = options.scenarios.map((s) =>
    new Pool(origin, {
      connections: maxVUsOf(s) + 2,
      pipelining: 1,
      // Our own timer is the client timeout; undici's must never fire first.
      headersTimeout: options.timeoutMs * 4,
      bodyTimeout: options.timeoutMs * 4,
      keepAliveTimeout: 30_000
    })
  )

  const errorKinds: Record<string, Record<string, number>> = {}
  const noteError = (endpoint: string, kind: string) => {
    const kinds = (errorKinds[endpoint] ??= {})
    kinds[kind] = (kinds[kind] ?? 0) + 1
  }
  const statuses: Record<string, Record<string, number>> = {}
  const noteStatus = (endpoint: string, status: string) => {
    const counts = (statuses[endpoint] ??= {})
    counts[status] = (counts[status] ?? 0) + 1
  }

  const request = async (
    pool: Pool,
    path: string
  ): Promise<{ outcome: Outcome; latencyMs: number; kind: string | undefined; status: string; retryAfterMs: number }> => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), options.timeoutMs)
    const started = performance.now()
    let outcome: Outcome
    let kind: string | undefined
    let status: string
    let retryAfterMs = 0
    try {
      const response = await pool.request({ path, method: "GET", signal: controller.signal })
      // Read the whole body: the response is only complete when it has arrived.
      await response.body.arrayBuffer()
      outcome = classifyStatus(response.statusCode)
      status = String(response.statusCode)
      const retryAfter = Number(response.headers["retry-after"])
      if (response.statusCode === 503 && Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000
      if (outcome === "error") kind = `HTTP ${response.statusCode}`
    } catch (error) {
      outcome = controller.signal.aborted ? "timeout" : "error"
      if (outcome === "error") kind = String((error as { code?: unknown }).code ?? (error as Error).name)
      status = kind ?? "timeout"
    } finally {
      clearTimeout(timer)
    }
    const latencyMs = performance.now() - started
    return { outcome, latencyMs, kind, status, retryAfterMs }
  }

  const running = options.scenarios.map(() => [] as Array<Vu>)
  const loops: Array<Promise<void>> = []

  const vuLoop = async (index: number, vu: Vu): Promise<void> => {
    const scenario = options.scenarios[index]!
    const pool = pools[index]!
    try {
      while (!vu.stop && elapsed() < totalMs) {
        const { kind, latencyMs, outcome, retryAfterMs, status } = await request(pool, scenario.path)
        aggregator.record(scenario.name, elapsed(), latencyMs, outcome)
        if (kind !== undefined) noteError(scenario.name, kind)
        noteStatus(scenario.name, status)
        // A refused connection fails in microseconds; without a pause a VU
        // would spin the CPU. Responses (200, 503, others) never pause,
        // unless the VU is told to honour a 503's Retry-After.
        if (outcome === "error" && latencyMs < 5) await sleep(10)
        else if (options.honourRetryAfter === true && retryAfterMs > 0) {
          await sleep(Math.min(retryAfterMs, Math.max(0, totalMs - elapsed())))
        }
      }
    } finally {
      const list = running[index]!
      list.splice(list.indexOf(vu), 1)
    }
  }

  const adjust = (now: number) => {
    options.scenarios.forEach((scenario, index) => {
      const target = now < totalMs ? vusAt(scenario, now) : 0
      const list = running[index]!
      const live = list.filter((vu) => !vu.stop)
      for (let n = live.length; n < target; n++) {
        const vu: Vu = { stop: false }
        list.push(vu)
        loops.push(vuLoop(index, vu))
      }
      // Stop the newest VUs first (k6 removes the highest-numbered ones).
      for (let n = live.length - 1; n >= target; n--) live[n]!.stop = true
      aggregator.sampleVUs(scenario.name, now, list.length)
    })
  }

  const emit = (rows: ReadonlyArray<SecondRow>) => {
    if (rows.length > 0) options.onSecond?.(rows)
  }

  // Bounded loop: ends after totalMs plus the drain below.
  while (elapsed() < totalMs) {
    adjust(elapsed())
    emit(aggregator.flush(elapsed()))
    await sleep(tickMs)
  }
  adjust(totalMs)
  // In-flight requests end within the client timeout; keep sampling VUs while they drain.
  const drainUntil = elapsed() + options.timeoutMs + 1000
  while (running.some((list) => list.length > 0) && elapsed() < drainUntil) {
    options.scenarios.forEach((s, i) => aggregator.sampleVUs(s.name, elapsed(), running[i]!.length))
    emit(aggregator.flush(elapsed()))
    await sleep(tickMs)
  }
  await Promise.allSettled(loops)
  const end = elapsed()
  emit(aggregator.flush(Math.ceil(end / 1000) * 1000))
  await Promise.allSettled(pools.map((p) => p.destroy()))
  return { rows: aggregator.allRows(), durationMs: end, errorKinds, latencies: aggregator.latencyLogs(), statuses }
}
