/**
 * The knee simulation of issue 10: an adaptive resource in front of a
 * service whose latency is flat up to a knee of in-flight calls and rises
 * steeply past it, driven by a closed loop of fibers, on the `TestClock`.
 *
 * Latency model (`steepLatency`): a call started with `n` calls in flight
 * (itself included, and the others that start at the same instant: calls
 * started together load the service together) takes
 *
 *   20 ms                                   while n ≤ knee
 *   20 ms × 2^((n − knee) / 2), ≤ 2 s       above it
 *
 * rounded to whole millis. Throughput in a closed loop with `n` in flight is
 * n / latency(n): it grows linearly up to the knee and falls past it
 * (knee 6: 0.30 calls/ms at 6, 0.25 at 7, 0.20 at 8), so the knee is the one
 * concurrency with the most throughput and the least latency, the point an
 * adaptive limit should find.
 *
 * The closed loop: `fibers` fibers each run, forever, a guarded call whose
 * body counts itself in flight, sleeps the model's latency for that count
 * and the knee of that moment, and leaves; then the next call at once. The
 * limiter's timeout is infinite, so calls queue instead of being refused:
 * every sample an algorithm sees is a success with an rtt.
 *
 * Cost: `TestClock.adjust` wakes its sleepers one by one and polls
 * `setTimeout(0)` a few times for each until every fiber is suspended
 * (~4 ms of real time per sleeper). Calls that end at the same simulated
 * millisecond therefore share one sleeper (`wakeAt`): the first sleeps, the
 * others wait on its `Deferred`, and all of them resume at that instant. In a
 * closed loop calls start where others end, so the instants stay few (at a
 * flat 20 ms latency, 50 per simulated second however many calls run).
 */
import { Deferred, Duration, Effect, Fiber, TestClock } from "effect"
import type { Limit } from "effect-concurrency-limiter"
import { Limiter, Resource } from "effect-concurrency-limiter"

/** A latency in millis for a call started with `inflight` calls in flight (itself included). */
export type LatencyModel = (inflight: number, knee: number) => number

/** The base latency below the knee, in millis. */
export const BASE_LATENCY_MILLIS = 20

/** 20 ms up to the knee, × √2 per call in flight past it, capped at 2 s; whole millis. */
export const steepLatency: LatencyModel = (inflight, knee) =>
  inflight <= knee
    ? BASE_LATENCY_MILLIS
    : Math.min(2_000, Math.round(BASE_LATENCY_MILLIS * 2 ** ((inflight - knee) / 2)))

/** A stretch of the simulation with one knee. */
export interface Phase {
  readonly knee: number
  readonly seconds: number
}

export interface SimulationOptions {
  readonly limit: Limit.Limit<any>
  readonly phases: ReadonlyArray<Phase>
  /** Default `steepLatency`. */
  readonly latency?: LatencyModel | undefined
  /** The closed loop's fibers. Default 200. */
  readonly fibers?: number | undefined
  /** The capacity is sampled every this many simulated millis. Default 100. */
  readonly stepMillis?: number | undefined
}

/** The capacity at the end of a step. */
export interface CapacitySample {
  /** Simulated millis since the start. */
  readonly atMillis: number
  readonly knee: number
  readonly capacity: number
}

/** One simulated second. */
export interface SecondStats {
  readonly second: number
  readonly knee: number
  /** Calls that ended in it. */
  readonly completed: number
  /** Their mean latency (the body's sleep: the service time), in millis; NaN if none. */
  readonly meanLatencyMillis: number
  /** Their mean time from the guard's call to its end, queuing included, in millis; NaN if none. */
  readonly meanResponseMillis: number
}

export interface SimulationResult {
  readonly phases: ReadonlyArray<Phase>
  readonly capacity: ReadonlyArray<CapacitySample>
  readonly seconds: ReadonlyArray<SecondStats>
}

let runs = 0

/**
 * Runs the simulation on the `TestClock` of the environment (under
 * `it.effect`, or with `TestContext.TestContext` provided) and returns the
 * capacity at every step and the throughput and latency of every second.
 */
export const simulateKnee = (options: SimulationOptions): Effect.Effect<SimulationResult> => {
  const latency = options.latency ?? steepLatency
  const fibers = options.fibers ?? 200
  const stepMillis = options.stepMillis ?? 100
  // A fresh name per run: the metric registry is global.
  const name = `KneeSim${runs++}`
  const Db = Resource.make(name, { capacity: options.limit })
  const guard = Limiter.withResources([Db])
  const totalSeconds = options.phases.reduce((sum, p) => sum + p.seconds, 0)

  return Effect.gen(function*() {
    const limiter = yield* Limiter.Limiter
    let knee = options.phases[0].knee
    let inflight = 0
    const perSecond = Array.from({ length: Math.ceil(totalSeconds) + 1 }, () => ({ completed: 0, latency: 0, response: 0 }))
    const capacity: Array<CapacitySample> = []
    /** One sleeper per instant: calls ending at the same millisecond share it. */
    const wakers = new Map<number, Deferred.Deferred<void>>()
    const nowMillis = Effect.clockWith((clock) => clock.currentTimeMillis)

    const wakeAt = (at: number, millis: number): Effect.Effect<void> =>
      Effect.suspend(() => {
        const shared = wakers.get(at)
        if (shared !== undefined) return Deferred.await(shared)
        return Effect.flatMap(Deferred.make<void>(), (own) => {
          wakers.set(at, own)
          return Effect.sleep(Duration.millis(millis)).pipe(
            Effect.zipRight(Effect.sync(() => wakers.delete(at))),
            Effect.zipRight(Deferred.succeed(own, undefined))
          )
        })
      })

    const body = Effect.gen(function*() {
      inflight++
      // Calls that start at the same instant load the service together: let
      // the others of this instant start before reading the count, so that
      // the first of them is not served as if it were alone.
      yield* Effect.yieldNow()
      const millis = latency(inflight, knee)
      const start = yield* nowMillis
      yield* Effect.ensuring(wakeAt(start + millis, millis), Effect.sync(() => inflight--))
      return millis
    })

    const loop = Effect.gen(function*() {
      const called = yield* nowMillis
      const millis = yield* guard(body)
      const end = yield* nowMillis
      const bucket = perSecond[Math.floor(end / 1_000)]
      if (bucket !== undefined) {
        bucket.completed++
        bucket.latency += millis
        bucket.response += end - called
      }
    }).pipe(Effect.forever)

    const loops = yield* Effect.forEach(Array.from({ length: fibers }), () => Effect.fork(loop))
    let at = 0
    for (const phase of options.phases) {
      knee = phase.knee
      const end = at + phase.seconds * 1_000
      while (at < end) {
        yield* TestClock.adjust(Duration.millis(stepMillis))
        at += stepMillis
        const stats = (yield* limiter.stats).find((s) => s.resource === name)!
        capacity.push({ atMillis: at, knee: phase.knee, capacity: stats.capacity })
      }
    }
    yield* Fiber.interruptAll(loops)

    let second = 0
    const seconds: Array<SecondStats> = []
    for (const phase of options.phases) {
      for (let i = 0; i < phase.seconds; i++, second++) {
        const b = perSecond[second]
        seconds.push({
          second,
          knee: phase.knee,
          completed: b.completed,
          meanLatencyMillis: b.completed === 0 ? NaN : b.latency / b.completed,
          meanResponseMillis: b.completed === 0 ? NaN : b.response / b.completed
        })
      }
    }
    return { phases: options.phases, capacity, seconds }
  }).pipe(
    Effect.provide(Limiter.layer({ timeout: Duration.infinity, resources: [Db] })),
    // A limit the limiter refuses is a bug of the caller.
    Effect.orDie
  )
}

/** How one phase went. */
export interface PhaseVerdict {
  readonly knee: number
  /**
   * Simulated seconds from the phase's start to the first sample after which
   * every sample of the phase is within ±tolerance of the knee; `undefined`
   * if the phase's last sample is outside.
   */
  readonly settleSeconds: number | undefined
  /** The share of the phase's second half within ±tolerance of the knee, in [0, 1]. */
  readonly secondHalfWithin: number
  readonly medianCapacity: number
  readonly minCapacity: number
  readonly maxCapacity: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Per phase: settle time, share of the second half within the band, median capacity. */
export const analyze = (result: SimulationResult, tolerance = 0.3): ReadonlyArray<PhaseVerdict> => {
  let from = 0
  return result.phases.map((phase) => {
    const to = from + phase.seconds * 1_000
    const samples = result.capacity.filter((s) => s.atMillis > from && s.atMillis <= to)
    const within = (c: number) => Math.abs(c - phase.knee) <= tolerance * phase.knee
    let settleIndex: number | undefined = samples.length
    for (let i = samples.length - 1; i >= 0 && within(samples[i].capacity); i--) settleIndex = i
    if (settleIndex === samples.length) settleIndex = undefined
    // The first sample of the final in-band run (one step's resolution).
    const settleSeconds = settleIndex === undefined ? undefined : (samples[settleIndex].atMillis - from) / 1_000
    const secondHalf = samples.filter((s) => s.atMillis > from + (to - from) / 2)
    const caps = samples.map((s) => s.capacity)
    const verdict: PhaseVerdict = {
      knee: phase.knee,
      settleSeconds,
      secondHalfWithin: secondHalf.filter((s) => within(s.capacity)).length / secondHalf.length,
      medianCapacity: median(caps),
      minCapacity: Math.min(...caps),
      maxCapacity: Math.max(...caps)
    }
    from = to
    return verdict
  })
}
