/**
 * A deterministic discrete-event simulation of an adaptive limit in front of
 * a service with a knee: the pure `Limit` state machine is fed the samples
 * the limiter would feed it, and nothing else runs (no fibers, no clock), so
 * a simulated minute of thousands of calls a second costs well under a second.
 *
 * The limiter, as `src/internal/adaptive.ts` wires it: `clients` callers in a
 * closed loop (each calls again as soon as its call ends) wait in a FIFO
 * queue for a permit; a permit is granted while fewer than the limit are
 * taken; when a call ends, the algorithm gets its sample — rtt from grant to
 * release, permits taken at its grant (itself included) and at its release
 * (itself included) — and the limit becomes `limitOf` of the new state. The
 * queue never times out, so every sample is a success with an rtt.
 *
 * The service: `noLoadMillis` per call while at most `knee` calls are in it;
 * past the knee, by `curve`:
 *
 * - `linear`: × n / knee (a processor shared by `knee` workers: throughput flat);
 * - `quadratic`: × (n / knee)² (throughput falls as knee / n);
 * - `exponential`: × e^(3 (n / knee − 1)) (× 2.5 at 1.3 × the knee);
 * - `mmc`: an M/M/c queue of `knee` servers with exponential service times
 *   of mean `noLoadMillis` and a FIFO queue in front (latency = wait + service);
 * - `pipelining`: no flat stretch: throughput(n) = X · (1 − e^(−n / k)) with
 *   k = knee / ln 20, so that `knee` in flight is the least concurrency
 *   serving 95 % of the plateau X, and latency n / throughput(n) rises from
 *   the second call in flight (`noLoadMillis` at 1) — a database on one core
 *   (knee 3: 1.5 × the calls a second at 3 in flight as at 1, each 2 × slower).
 *
 * The delay curves fix a call's latency when it starts, from the calls in the
 * service once every call granted at that instant has started (calls
 * started together load it together), times a lognormal noise of mean 1
 * and σ `noise` (0.2: ±20 %), capped at 100 × the no-load latency. The knee
 * may change at given instants (`phases`); an M/M/c service then gets
 * more or fewer servers (a busy server past the new count finishes its call).
 */
import type { Limit } from "effect-concurrency-limiter"

export type Curve = "linear" | "quadratic" | "exponential" | "mmc" | "pipelining"

export const curves: ReadonlyArray<Curve> = ["linear", "quadratic", "exponential", "mmc", "pipelining"]

/** The pipelining curve's throughput at `n` in flight, ÷ its throughput at 1. */
const pipelined = (n: number, knee: number): number => {
  const k = knee / Math.log(20)
  return (1 - Math.exp(-n / k)) / (1 - Math.exp(-1 / k))
}

/**
 * The best a fixed limit does, in calls a second: `knee` calls every no-load
 * latency on the curves with a flat stretch; the plateau on `pipelining`.
 */
export const bestRate = (curve: Curve, knee: number, noLoadMillis: number): number =>
  curve === "pipelining" ? 1_000 / noLoadMillis / (1 - Math.exp(-Math.log(20) / knee)) : knee / (noLoadMillis / 1_000)

/** The latency at the knee: the no-load latency, or on `pipelining` knee ÷ its throughput there. */
export const kneeLatency = (curve: Curve, knee: number, noLoadMillis: number): number =>
  curve === "pipelining" ? noLoadMillis * knee / pipelined(knee, knee) : noLoadMillis

/** A stretch of the run with one knee. */
export interface Phase {
  readonly knee: number
  readonly seconds: number
}

export interface SimulationOptions {
  readonly limit: Limit.Limit<any>
  readonly curve: Curve
  readonly phases: ReadonlyArray<Phase>
  /** Default 20. */
  readonly noLoadMillis?: number | undefined
  /** σ of the lognormal noise on the delay curves. Default 0.2. */
  readonly noise?: number | undefined
  /** Closed-loop callers. Default: the limit's max, at least 4 × the highest knee. */
  readonly clients?: number | undefined
  readonly seed?: number | undefined
}

/** The limit from `atMillis` on, until the next step. */
export interface Step {
  readonly atMillis: number
  readonly limit: number
}

export interface SimulationResult {
  readonly curve: Curve
  readonly phases: ReadonlyArray<Phase>
  readonly noLoadMillis: number
  /** Every change of the limit, the first at 0. */
  readonly steps: ReadonlyArray<Step>
  /** Per simulated second: calls that ended in it, and the sum of their rtts. */
  readonly completed: Float64Array
  readonly rttSum: Float64Array
}

/** mulberry32: a small, seeded PRNG. */
export const prng = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A binary min-heap of call ends, by time then by insertion. */
class Heap {
  private at: Array<number> = []
  private seq: Array<number> = []
  private id: Array<number> = []
  private n = 0
  private counter = 0
  get size(): number {
    return this.n
  }
  peekAt(): number {
    return this.at[0]
  }
  private less(i: number, j: number): boolean {
    return this.at[i] < this.at[j] || (this.at[i] === this.at[j] && this.seq[i] < this.seq[j])
  }
  private swap(i: number, j: number): void {
    ;[this.at[i], this.at[j]] = [this.at[j], this.at[i]]
    ;[this.seq[i], this.seq[j]] = [this.seq[j], this.seq[i]]
    ;[this.id[i], this.id[j]] = [this.id[j], this.id[i]]
  }
  push(at: number, id: number): void {
    let i = this.n++
    this.at[i] = at
    this.seq[i] = this.counter++
    this.id[i] = id
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(i, p)) break
      this.swap(i, p)
      i = p
    }
  }
  pop(): number {
    const top = this.id[0]
    this.n--
    if (this.n > 0) {
      this.at[0] = this.at[this.n]
      this.seq[0] = this.seq[this.n]
      this.id[0] = this.id[this.n]
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < this.n && this.less(l, m)) m = l
        if (r < this.n && this.less(r, m)) m = r
        if (m === i) break
        this.swap(i, m)
        i = m
      }
    }
    return top
  }
}

const curveFactor = (curve: Curve, inService: number, knee: number): number => {
  if (curve === "pipelining") return inService / pipelined(inService, knee)
  if (inService <= knee) return 1
  const x = inService / knee
  switch (curve) {
    case "linear":
      return x
    case "quadratic":
      return x * x
    default:
      return Math.exp(3 * (x - 1))
  }
}

export const simulate = (options: SimulationOptions): SimulationResult => {
  const { curve, limit, phases } = options
  const noLoad = options.noLoadMillis ?? 20
  const sigma = options.noise ?? 0.2
  const topKnee = Math.max(...phases.map((p) => p.knee))
  const clients = options.clients ?? Math.max(limit.max, 4 * topKnee)
  const random = prng(options.seed ?? 1)
  const gauss = (): number => {
    const u = 1 - random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  const lognormal = (): number => Math.exp(sigma * gauss() - (sigma * sigma) / 2)
  const exponential = (): number => -Math.log(1 - random()) * noLoad

  const totalMillis = phases.reduce((s, p) => s + p.seconds * 1_000, 0)
  const seconds = Math.ceil(totalMillis / 1_000)
  const completed = new Float64Array(seconds)
  const rttSum = new Float64Array(seconds)
  const steps: Array<Step> = []

  // Per call (a client's current call), indexed by client.
  const grantedAt = new Float64Array(clients)
  const inflightAtGrant = new Int32Array(clients)
  const heap = new Heap()
  // M/M/c: the calls waiting for a server, FIFO (a ring of client ids).
  const serviceQueue: Array<number> = []
  let queueHead = 0
  let busy = 0

  let state = limit.initial
  let current = limit.limitOf(state)
  steps.push({ atMillis: 0, limit: current })
  let taken = 0
  let waiting = clients
  let nextClient = 0
  const idle: Array<number> = []
  let phaseIndex = 0
  let phaseEnd = phases[0].seconds * 1_000
  let knee = phases[0].knee

  const startService = (now: number, id: number): void => {
    busy++
    heap.push(now + exponential(), id)
  }

  /** Grants permits while the limit allows; the calls started together load the service together. */
  const grant = (now: number): void => {
    const started: Array<number> = []
    while (taken < current && waiting > 0) {
      waiting--
      const id = idle.length > 0 ? idle.pop()! : nextClient++
      taken++
      grantedAt[id] = now
      inflightAtGrant[id] = taken
      started.push(id)
    }
    if (started.length === 0) return
    if (curve === "mmc") {
      for (const id of started) {
        if (busy < knee) startService(now, id)
        else serviceQueue.push(id)
      }
      return
    }
    const factor = curveFactor(curve, taken, knee)
    for (const id of started) {
      heap.push(now + noLoad * Math.min(100, factor * lognormal()), id)
    }
  }

  grant(0)
  while (heap.size > 0) {
    const now = heap.peekAt()
    while (now >= phaseEnd && phaseIndex < phases.length - 1) {
      phaseIndex++
      phaseEnd += phases[phaseIndex].seconds * 1_000
      knee = phases[phaseIndex].knee
      // More servers: queued calls start at once (at the change).
      while (curve === "mmc" && busy < knee && queueHead < serviceQueue.length) {
        startService(phaseEnd - phases[phaseIndex].seconds * 1_000, serviceQueue[queueHead++])
      }
    }
    if (now >= totalMillis) break
    const id = heap.pop()
    if (curve === "mmc") {
      busy--
      if (busy < knee && queueHead < serviceQueue.length) startService(now, serviceQueue[queueHead++])
      if (queueHead > 4096 && queueHead * 2 > serviceQueue.length) {
        serviceQueue.splice(0, queueHead)
        queueHead = 0
      }
    }
    const rtt = now - grantedAt[id]
    const second = Math.floor(now / 1_000)
    completed[second]++
    rttSum[second] += rtt
    taken--
    // The caller calls again at once: back in the queue.
    idle.push(id)
    waiting++
    state = limit.update(state, {
      endMillis: now,
      rttMillis: rtt,
      inflight: inflightAtGrant[id],
      inflightAtRelease: taken + 1,
      outcome: "success"
    })
    const next = limit.limitOf(state)
    if (next !== current) {
      current = next
      steps.push({ atMillis: now, limit: next })
    }
    grant(now)
  }
  return { curve, phases, noLoadMillis: noLoad, steps, completed, rttSum }
}

/** How one phase went, measured from its start to its end. */
export interface PhaseReport {
  readonly knee: number
  /**
   * Simulated seconds from the phase's start until the limit entered the
   * band (±30 % of the knee) to stay there for at least 2 s (or to the
   * phase's end); `Infinity` if it never did.
   */
  readonly settleSeconds: number
  /** The share of the time from settling to the phase's end within the band, in [0, 1]; 0 if it never settled. */
  readonly withinShare: number
  /** Calls per second from the first whole second after settling to the phase's end, ÷ the best a fixed limit does (`bestRate`). */
  readonly throughputRatio: number
  /** Their mean rtt ÷ the latency at the knee (`kneeLatency`: the no-load latency but on `pipelining`). */
  readonly latencyRatio: number
}

const limitAt = (steps: ReadonlyArray<Step>, from: number): number => {
  let i = 0
  while (i + 1 < steps.length && steps[i + 1].atMillis <= from) i++
  return i
}

export const analyze = (result: SimulationResult, tolerance = 0.3, holdMillis = 2_000): ReadonlyArray<PhaseReport> => {
  let from = 0
  return result.phases.map((phase) => {
    const to = from + phase.seconds * 1_000
    const within = (n: number) => Math.abs(n - phase.knee) <= tolerance * phase.knee
    // The phase's steps, clipped to it: [start, end) with a limit.
    const segments: Array<{ start: number; end: number; inBand: boolean }> = []
    for (let i = limitAt(result.steps, from); i < result.steps.length && result.steps[i].atMillis < to; i++) {
      const start = Math.max(from, result.steps[i].atMillis)
      const end = Math.min(to, i + 1 < result.steps.length ? result.steps[i + 1].atMillis : to)
      if (end > start) segments.push({ start, end, inBand: within(result.steps[i].limit) })
    }
    // Settled: the first in-band run (consecutive in-band segments) lasting holdMillis or reaching the end.
    let settleAt = Infinity
    for (let i = 0; i < segments.length && settleAt === Infinity; i++) {
      if (!segments[i].inBand || (i > 0 && segments[i - 1].inBand)) continue
      let j = i
      while (j + 1 < segments.length && segments[j + 1].inBand) j++
      if (segments[j].end - segments[i].start >= holdMillis || segments[j].end === to) settleAt = segments[i].start
    }
    let inBand = 0
    for (const s of segments) if (s.inBand && s.end > settleAt) inBand += s.end - Math.max(s.start, settleAt)
    const withinShare = settleAt === Infinity ? 0 : to > settleAt ? inBand / (to - settleAt) : 1
    let calls = 0
    let rtt = 0
    const firstSecond = Math.ceil((settleAt === Infinity ? to - 1_000 : Math.min(settleAt, to - 1_000)) / 1_000)
    const lastSecond = to / 1_000
    for (let s = firstSecond; s < lastSecond; s++) {
      calls += result.completed[s]
      rtt += result.rttSum[s]
    }
    const kneeRate = bestRate(result.curve, phase.knee, result.noLoadMillis)
    const report: PhaseReport = {
      knee: phase.knee,
      settleSeconds: (settleAt - from) / 1_000,
      withinShare,
      throughputRatio: calls / (lastSecond - firstSecond) / kneeRate,
      latencyRatio: calls === 0 ? Infinity : rtt / calls / kneeLatency(result.curve, phase.knee, result.noLoadMillis)
    }
    from = to
    return report
  })
}
