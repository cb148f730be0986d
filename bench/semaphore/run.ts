/**
 * One configuration of the semaphore benchmark, run in a fresh process so the
 * heap figures belong to that configuration alone. Spawned by
 * `bench/semaphore/main.ts`; prints one JSON line (`RunResult`) on stdout.
 *
 *   node --expose-gc --import tsx bench/semaphore/run.ts '{"scenario":"queue","variant":"ours","size":1000}'
 */
import { Deferred, Effect, Exit, Fiber, FiberId } from "effect"
import * as Semaphore from "../../src/Semaphore.js"

/**
 * `chain` (queue scenario only) is a reference, not a semaphore: the ideal
 * FIFO hand-off built from Effect's `Deferred`, fiber i waking fiber i + 1.
 */
export type Variant = "ours" | "effect" | "none" | "chain"

export interface RunConfig {
  readonly scenario: "queue" | "workers"
  readonly variant: Variant
  /** N (queued fibers) or W (workers). */
  readonly size: number
  /** Worker window in ms (workers only). */
  readonly windowMs?: number
}

export interface RunResult {
  readonly wallMs: number
  readonly cpuMs: number
  /** Peak `heapUsed` during the measurement, in bytes. */
  readonly peakHeap: number
  /** `heapUsed` after a full GC before anything is forked. */
  readonly baseHeap: number
  /** Workers only: `heapUsed` after a full GC once all workers are parked. */
  readonly liveHeap?: number
  /** Units of work completed in the measurement. */
  readonly units: number
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

/**
 * Samples `heapUsed` so that peaks are seen, not just the end: on a timer,
 * and from the workload itself (`tick`), because Effect's scheduler runs on
 * microtasks and can starve timers for the whole of a queue scenario.
 */
const heapSampler = () => {
  let peak = 0
  let ticks = 0
  let timer: ReturnType<typeof setInterval> | undefined
  const sample = () => {
    const used = process.memoryUsage().heapUsed
    if (used > peak) peak = used
  }
  return {
    start: () => {
      sample()
      timer = setInterval(sample, 5)
    },
    tick: () => {
      if (timer !== undefined && (++ticks & 255) === 0) sample()
    },
    stop: () => {
      clearInterval(timer)
      sample()
      return peak
    }
  }
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since)
  return (d.user + d.system) / 1000
}

/** A semaphore of `permits`, or a pass-through for the "none" variant. */
const guard = (variant: Variant, permits: number) => {
  switch (variant) {
    case "ours": {
      const sem = Semaphore.unsafeMake(permits)
      return <A, E, R>(self: Effect.Effect<A, E, R>) => sem.withPermits(1)(self)
    }
    case "effect": {
      const sem = Effect.unsafeMakeSemaphore(permits)
      return <A, E, R>(self: Effect.Effect<A, E, R>) => sem.withPermits(1)(self)
    }
    case "none":
    case "chain":
      return <A, E, R>(self: Effect.Effect<A, E, R>) => self
  }
}

/**
 * Scenario 1: N fibers queued on 1 permit, each holding it for one
 * `yieldNow`. Measured from the first fork to the last completion.
 */
const queue = (config: RunConfig) =>
  Effect.gen(function*() {
    const n = config.size
    const withPermit = guard(config.variant, 1)
    const allDone = yield* Deferred.make<void>()
    let done = 0
    const heap = heapSampler()
    const finish = Effect.sync(() => {
      heap.tick()
      if (++done === n) Deferred.unsafeDone(allDone, Exit.void)
    })
    const body = withPermit(Effect.yieldNow()).pipe(Effect.ensuring(finish))
    // The chain's baton: fiber i awaits baton i and then passes baton i + 1.
    const batons = config.variant === "chain" ? [yield* Deferred.make<void>()] : []
    const chained = (i: number) => {
      const next = Deferred.unsafeMake<void>(FiberId.none)
      batons.push(next)
      return Deferred.await(batons[i]!).pipe(
        Effect.zipRight(Effect.yieldNow()),
        Effect.ensuring(Effect.sync(() => Deferred.unsafeDone(next, Exit.void))),
        Effect.ensuring(finish)
      )
    }
    gc()
    const baseHeap = process.memoryUsage().heapUsed
    heap.start()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      heap.tick()
      yield* Effect.forkDaemon(config.variant === "chain" ? chained(i) : body)
      if (i === 0 && config.variant === "chain") Deferred.unsafeDone(batons[0]!, Exit.void)
    }
    yield* Deferred.await(allDone)
    const wallMs = performance.now() - t0
    const result: RunResult = { wallMs, cpuMs: cpuMs(cpu0), peakHeap: heap.stop(), baseHeap, units: done }
    return result
  })

/**
 * Scenario 2: W workers looping on 5 permits, 20 ms of (sleeping) work per
 * unit. All workers are forked and parked before the window opens; when it
 * closes the figures are read first and the workers interrupted after, so
 * neither forking nor draining the queue is measured.
 */
const workers = (config: RunConfig) =>
  Effect.gen(function*() {
    const w = config.size
    const withPermit = guard(config.variant, 5)
    let units = 0
    let started = 0
    const heap = heapSampler()
    const unit = withPermit(Effect.sleep("20 millis").pipe(Effect.andThen(() => {
      units++
      heap.tick()
    })))
    const worker = Effect.sync(() => {
      started++
    }).pipe(Effect.andThen(Effect.forever(unit)))
    gc()
    const baseHeap = process.memoryUsage().heapUsed
    const fibers: Array<Fiber.RuntimeFiber<never>> = []
    for (let i = 0; i < w; i++) {
      fibers.push(yield* Effect.forkDaemon(worker))
    }
    while (started < w) {
      yield* Effect.sleep("1 millis")
    }
    yield* Effect.sleep("50 millis")
    gc()
    const liveHeap = process.memoryUsage().heapUsed
    heap.start()
    const units0 = units
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    yield* Effect.sleep(config.windowMs ?? 5000)
    const wallMs = performance.now() - t0
    const cpu = cpuMs(cpu0)
    const done = units - units0
    const peakHeap = heap.stop()
    for (const fiber of fibers) {
      fiber.unsafeInterruptAsFork(fiber.id())
    }
    const result: RunResult = { wallMs, cpuMs: cpu, peakHeap, baseHeap, liveHeap, units: done }
    return result
  })

const main = () => {
  const config = JSON.parse(process.argv[2] ?? "{}") as RunConfig
  const program = config.scenario === "queue" ? queue(config) : workers(config)
  Effect.runPromise(program).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + "\n")
      process.exit(0)
    },
    (error) => {
      process.stderr.write(String(error) + "\n")
      process.exit(1)
    }
  )
}

main()
