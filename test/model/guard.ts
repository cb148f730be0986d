/**
 * The model and driver of one resource's queue, as seen through the public
 * guard: a bounded queue (`maxWaiting`), FIFO or LIFO order, partitions with
 * guaranteed shares, live resizes (`Limiter.setCapacity`), deadlines, guarded
 * effects that succeed, fail or die, and interruptions of waiters, of
 * holders and of waiters at the moment they are admitted. Used by
 * test/Limiter.queue.property.test.ts and by `npm run stress:model`.
 *
 * Each run builds one resource with a random configuration and drives the
 * real limiter and a plain model of the documented semantics with the same
 * random commands on a virtual clock. After every command both must agree on
 * the exact order of grants, on how and when every guard ended, on
 * `limiter.stats`, on the metric gauges, and on how many guarded effects are
 * running in each partition (counted by the effects themselves); a grant
 * never finds as many effects running as the capacity. At quiescence
 * nothing may be in use or waiting, no fiber may have died of anything but
 * its own defect (a permit released twice dies), and the `acquisitions`
 * counter must have counted exactly the model's outcomes.
 *
 * Only single-permit guards exist, so one fact keeps the model small: after
 * every step, a waiter exists only while `inUse >= capacity` (a newcomer
 * queues only behind someone or when full, and every freed permit goes to a
 * waiter at once). Hence a waiter that leaves (deadline, interruption) never
 * lets anyone in, and waiters expiring at the same instant commute.
 *
 * Holders end only when the test opens their gate (`finish`) or interrupts
 * them, never on a timer of their own: two timed releases at the same
 * instant would be ordered by the clock's sleep bookkeeping, which is no
 * part of the semantics under test, and with partitions that order decides
 * who is owed the next permit.
 *
 * The model rounds partition guarantees in exact integer arithmetic, apart
 * from src: that is how it found src breaking remainder ties by float error
 * (2 × 0.7 losing a tie to 2 × 0.2).
 */
import { Cause, Clock, Deferred, Duration, Effect, Exit, Fiber, Metric } from "effect"
import * as fc from "effect/FastCheck"
import { isDeepStrictEqual } from "node:util"
import { BusyError, Limiter, Metrics, Resource } from "effect-concurrency-limiter"
import { type Counter, expectEqual, uncounted } from "./check.js"
import { modelRuntime, settle } from "./runtime.js"

// --- scenarios ----------------------------------------------------------------

/**
 * Partitions come from integer weights plus an unassigned "slack" weight, so
 * that the shares add up to at most 1 (exactly 1 when there is no slack) and
 * the model can round them with exact integer arithmetic instead of floats.
 */
export const config = fc.record({
  capacity: fc.integer({ min: 1, max: 4 }),
  maxWaiting: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Infinity)),
  order: fc.constantFrom<"fifo" | "lifo">("fifo", "lifo"),
  partitions: fc.option(
    fc.record({
      weights: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 3 }),
      slack: fc.integer({ min: 0, max: 3 })
    }),
    // Half the runs unpartitioned (fast-check's default is one in six), so
    // that plain FIFO / LIFO get as many runs as partition priority does.
    { nil: undefined, freq: 2 }
  )
})

export type Config = typeof config extends fc.Arbitrary<infer T> ? T : never

/** How a guarded effect ends once its gate opens. */
type Hold = "succeed" | "fail" | "die"

export const command = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("arrive" as const),
      // Taken modulo the number of partitions.
      partition: fc.nat({ max: 2 }),
      // A failure or a defect of its own must release the permit just like a success.
      hold: fc.constantFrom<Hold>("succeed", "fail", "die"),
      // 0: a guard that must wait fails at once; Infinity: no deadline.
      timeout: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }) },
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.constant(Infinity) }
      )
    })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("finish" as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("interrupt" as const), i: fc.nat() }) },
  // A holder finishes and, in the same step, the waiter it admits is interrupted.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("race" as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resize" as const), n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 30 }) }) }
)

export type Command = typeof command extends fc.Arbitrary<infer T> ? T : never

/** A whole scenario: the resource's configuration and the commands (`size` as for the semaphore's). */
export const scenario = (maxLength = 40, size: fc.SizeForArbitrary = "small") =>
  fc.tuple(config, fc.array(command, { minLength: 1, maxLength, size }))

// --- the model ------------------------------------------------------------------

type Outcome = "acquired" | "timeout" | "queue-full" | "interrupted"

/** How a guard ended, as both sides record it. */
type Ending =
  | { readonly _tag: "succeeded"; readonly at: number }
  | { readonly _tag: "failed"; readonly at: number }
  | { readonly _tag: "died"; readonly at: number }
  | {
    readonly _tag: "busy"
    readonly reason: BusyError.Reason
    readonly resource: string
    readonly waited: number
    readonly at: number
  }
  | { readonly _tag: "interrupted"; readonly at: number }

interface ModelWaiter {
  readonly id: number
  readonly partition: number
  readonly deadline: number
  readonly timeout: number
}

/**
 * Largest remainder (Hamilton) in integers: partition i is owed
 * `capacity * w_i / W`; the floors are topped up, largest remainder first
 * (ties to the partition declared first), up to `floor(capacity * Σw / W)`.
 * Written independently of packages/core/src/shares.ts, which works in floats.
 */
export const guaranteesOf = (capacity: number, weights: ReadonlyArray<number>, slack: number): Array<number> => {
  const total = weights.reduce((a, b) => a + b, 0) + slack
  const guaranteed = weights.map((w) => Math.floor((capacity * w) / total))
  let spare = Math.floor((capacity * (total - slack)) / total) - guaranteed.reduce((a, b) => a + b, 0)
  const byRemainder = weights
    .map((w, i) => ({ i, remainder: (capacity * w) % total }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i)
  for (const { i } of byRemainder) {
    if (spare <= 0) break
    guaranteed[i]++
    spare--
  }
  return guaranteed
}

/**
 * The documented semantics with arrays and counters. An unpartitioned
 * resource is modelled as one partition that is owed nothing, which makes
 * `next()` plain FIFO / LIFO.
 */
export class Model {
  now = 0
  capacity: number
  guaranteed: Array<number>
  readonly inUse: Array<number>
  /** Waiters in arrival order. */
  queue: Array<ModelWaiter> = []
  /** Holder id → partition. */
  readonly holders = new Map<number, number>()
  readonly grants: Array<number> = []
  readonly endings = new Map<number, Ending>()
  /** Per partition, per outcome: what the `acquisitions` counter must say. */
  readonly counts: Array<Record<Outcome, number>>
  readonly violations: Array<string> = []

  constructor(readonly config: Config, readonly resource: string) {
    this.capacity = config.capacity
    const n = config.partitions?.weights.length ?? 1
    this.inUse = Array.from({ length: n }, () => 0)
    this.counts = Array.from({ length: n }, () => ({ acquired: 0, timeout: 0, "queue-full": 0, interrupted: 0 }))
    this.guaranteed = this.shareOut()
  }

  private shareOut(): Array<number> {
    const p = this.config.partitions
    return p === undefined ? [0] : guaranteesOf(this.capacity, p.weights, p.slack)
  }

  get total(): number {
    return this.inUse.reduce((a, b) => a + b, 0)
  }

  /** Oldest (LIFO: newest) waiter of a partition under its guarantee, else of any partition. */
  next(): ModelWaiter | undefined {
    const owed = this.queue.filter((w) => this.inUse[w.partition] < this.guaranteed[w.partition])
    const pool = owed.length > 0 ? owed : this.queue
    if (pool.length === 0) return undefined
    return this.config.order === "lifo" ? pool[pool.length - 1] : pool[0]
  }

  private grant(id: number, partition: number): void {
    if (this.total >= this.capacity) this.violations.push(`model granted ${id} with inUse ${this.total} >= capacity`)
    if (this.inUse[partition] >= this.guaranteed[partition]) {
      const starved = this.queue.find((w) => this.inUse[w.partition] < this.guaranteed[w.partition])
      if (starved !== undefined) {
        this.violations.push(`model granted ${id} over its guarantee while ${starved.id} was owed a permit`)
      }
    }
    this.inUse[partition]++
    this.holders.set(id, partition)
    this.grants.push(id)
    this.counts[partition].acquired++
  }

  wake(): void {
    for (let w = this.next(); w !== undefined && this.total < this.capacity; w = this.next()) {
      this.queue = this.queue.filter((x) => x !== w)
      this.grant(w.id, w.partition)
    }
  }

  arrive(id: number, partition: number, timeout: number): void {
    if (this.queue.length === 0 && this.total < this.capacity) return this.grant(id, partition)
    if (this.queue.length >= this.config.maxWaiting) {
      this.counts[partition]["queue-full"]++
      this.endings.set(id, { _tag: "busy", reason: "queue-full", resource: this.resource, waited: 0, at: this.now })
      return
    }
    if (timeout === 0) {
      this.counts[partition].timeout++
      this.endings.set(id, { _tag: "busy", reason: "timeout", resource: this.resource, waited: 0, at: this.now })
      return
    }
    this.queue.push({ id, partition, deadline: this.now + timeout, timeout })
  }

  release(id: number, ending: Ending): void {
    const partition = this.holders.get(id)!
    this.holders.delete(id)
    this.inUse[partition]--
    this.endings.set(id, ending)
    this.wake()
  }

  leave(w: ModelWaiter, ending: Ending, outcome: Outcome): void {
    this.queue = this.queue.filter((x) => x !== w)
    this.counts[w.partition][outcome]++
    this.endings.set(w.id, ending)
    this.wake()
  }

  resize(n: number): void {
    this.capacity = n
    this.guaranteed = this.shareOut()
    this.wake()
  }

  /** Every waiter whose deadline has come (in any order: leaving lets nobody in). */
  expire(): void {
    for (const w of this.queue.filter((x) => x.deadline <= this.now)) {
      this.leave(
        w,
        { _tag: "busy", reason: "timeout", resource: this.resource, waited: w.timeout, at: this.now },
        "timeout"
      )
    }
  }
}

// --- running a scenario -------------------------------------------------------------

/**
 * Resource names are reused round-robin: the metric registry is global and
 * never forgets a series, so a fresh name per run would grow it by the
 * million in the stress run. The counters are compared by how much they
 * moved during the run; the gauges are set when the limiter is built.
 */
let runs = 0

const outcomes = ["acquired", "timeout", "queue-full", "interrupted"] as const

const endingOfHold = (hold: Hold, at: number): Ending =>
  ({ _tag: hold === "succeed" ? "succeeded" : hold === "fail" ? "failed" : "died", at })

/**
 * Runs `commands` against one resource configured as `cfg` and its model,
 * checking after every step and at quiescence. Fails with a `ModelMismatch`
 * (a defect) at the first disagreement. Runs on a `ManualClock` of its own.
 */
export const runScenario = (cfg: Config, commands: ReadonlyArray<Command>, counter: Counter = uncounted()) => {
  const name = `GuardModel${runs++ % 16}`
  const partitionNames = cfg.partitions?.weights.map((_, i) => `p${i}`)
  const Db = Resource.make(name, {
    capacity: cfg.capacity,
    maxWaiting: cfg.maxWaiting,
    order: cfg.order,
    partitions: cfg.partitions === undefined
      ? undefined
      : Object.fromEntries(
        cfg.partitions.weights.map((w, i) => [
          `p${i}`,
          w / (cfg.partitions!.weights.reduce((a, b) => a + b, 0) + cfg.partitions!.slack)
        ])
      ) as Record<string, number>
  })
  // The guard's partition option is typed after the resource's partitions,
  // which this driver only knows at run time.
  const resources: any = [Db]
  const counterOf = (i: number, outcome: typeof outcomes[number]) =>
    partitionNames === undefined
      ? Metrics.acquisitions.pipe(Metric.tagged("limiter", "default"), Metric.tagged("resource", name), Metric.tagged("outcome", outcome))
      : Metrics.acquisitions.pipe(
        Metric.tagged("limiter", "default"), Metric.tagged("resource", name),
        Metric.tagged("partition", partitionNames[i]),
        Metric.tagged("outcome", outcome)
      )
  const readCounts = Effect.forEach(
    Array.from({ length: partitionNames?.length ?? 1 }, (_, i) => i),
    (i) =>
      Effect.map(
        Effect.forEach(outcomes, (outcome) => Effect.map(Metric.value(counterOf(i, outcome)), (s) => s.count)),
        (counts) => Object.fromEntries(outcomes.map((o, k) => [o, counts[k]])) as Record<Outcome, number>
      )
  )

  return modelRuntime((clock) => Effect.gen(function*() {
    const countsBefore = yield* readCounts
    const limiter = yield* Limiter.Limiter
    const model = new Model(cfg, name)
    const grants: Array<number> = []
    const endings = new Map<number, Ending>()
    const violations: Array<string> = []
    const fibers = new Map<number, Fiber.RuntimeFiber<void, never>>()
    const gates = new Map<number, Deferred.Deferred<void>>()
    const holds = new Map<number, Hold>()
    /** Waiters interrupted as they were admitted: their effect may or may not have started. */
    const raced = new Set<number>()
    /** Guarded effects running now, per partition index: counted by the effects themselves. */
    const running = Array.from({ length: partitionNames?.length ?? 1 }, () => 0)
    let nextId = 0

    const endingOf = (id: number, exit: Exit.Exit<void, unknown>, at: number): Ending => {
      if (Exit.isSuccess(exit)) return { _tag: "succeeded", at }
      const defects = [...Cause.defects(exit.cause)]
      if (defects.length > 0) {
        if (defects.length === 1 && defects[0] === "died") return { _tag: "died", at }
        violations.push(`guard ${id} died: ${Cause.pretty(exit.cause)}`)
      }
      const error = Cause.failureOption(exit.cause)
      if (error._tag === "None") return { _tag: "interrupted", at }
      if (!(error.value instanceof BusyError.BusyError)) return { _tag: "failed", at }
      const { reason, resource, waited } = error.value
      return { _tag: "busy", reason, resource, waited: Duration.toMillis(waited), at }
    }

    // The time is read by the guard's own fiber as soon as the guard ends, so
    // a BusyError's recorded time is when the caller actually got it.
    const ended = (id: number, exit: Exit.Exit<void, unknown>) =>
      Effect.map(Clock.currentTimeMillis, (at) => {
        endings.set(id, endingOf(id, exit, at))
      })

    const arrive = (id: number, cmd: Extract<Command, { kind: "arrive" }>, index: number) =>
      Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        // The grant is logged by the first thing the guarded effect does, so
        // the log is the order in which the limiter resumed the waiters.
        const body = Effect.gen(function*() {
          grants.push(id)
          running[index]++
          const [stats] = yield* limiter.stats
          if (stats.inUse > stats.capacity) violations.push(`grant to ${id} with inUse ${stats.inUse} > ${stats.capacity}`)
          const total = running.reduce((a, b) => a + b, 0)
          if (total > stats.capacity) violations.push(`grant to ${id} with ${total} effects running > ${stats.capacity}`)
          yield* Deferred.await(gate)
          if (cmd.hold === "fail") yield* Effect.fail("failed" as const)
          if (cmd.hold === "die") yield* Effect.die("died")
        }).pipe(Effect.onExit(() => Effect.sync(() => running[index]--)))
        const guarded = body.pipe(
          Limiter.withResources(resources, {
            partition: partitionNames?.[index],
            timeout: cmd.timeout === Infinity ? Duration.infinity : Duration.millis(cmd.timeout)
          }),
          Effect.exit,
          Effect.flatMap((exit) => ended(id, exit))
        ) as Effect.Effect<void>
        gates.set(id, gate)
        holds.set(id, cmd.hold)
        fibers.set(id, yield* Effect.fork(guarded))
      })

    /** An interrupted fiber records nothing itself: its exit is recorded here. */
    const interrupt = (id: number) =>
      Effect.gen(function*() {
        const exit = yield* Fiber.interrupt(fibers.get(id)!)
        if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
          endings.set(id, { _tag: "interrupted", at: yield* Clock.currentTimeMillis })
        } else if (!endings.has(id)) {
          violations.push(`guard ${id} ended with ${String(exit)} when interrupted`)
        }
      })

    /** The model's side of an interruption of `id`, waiting or holding. */
    const interruptInModel = (id: number) => {
      const waiter = model.queue.find((w) => w.id === id)
      const ending: Ending = { _tag: "interrupted", at: model.now }
      if (waiter !== undefined) model.leave(waiter, ending, "interrupted")
      else model.release(id, ending)
    }

    const finish = (id: number) => {
      model.release(id, endingOfHold(holds.get(id)!, model.now))
      return Deferred.succeed(gates.get(id)!, undefined)
    }

    // Tagged once per run: a check reads them after every command.
    const resourceGauges = [Metrics.capacity, Metrics.inUse, Metrics.waiting].map((metric) =>
      metric.pipe(Metric.tagged("limiter", "default"), Metric.tagged("resource", name))
    )
    const partitionGauges = new Map((partitionNames ?? []).map((partition) => [
      partition,
      [Metrics.partitionGuaranteed, Metrics.partitionInUse, Metrics.partitionWaiting].map((metric) =>
        metric.pipe(Metric.tagged("limiter", "default"), Metric.tagged("resource", name), Metric.tagged("partition", partition))
      )
    ]))
    const values = (gauges: ReadonlyArray<Metric.Metric.Gauge<number>>) =>
      Effect.forEach(gauges, (gauge) => Effect.map(Metric.value(gauge), (state) => state.value))

    const check = (step: string) =>
      Effect.gen(function*() {
        expectEqual(violations, [], `real side after ${step}`)
        expectEqual(model.violations, [], `model invariants after ${step}`)
        expectEqual(
          grants.filter((id) => !raced.has(id)),
          model.grants.filter((id) => !raced.has(id)),
          `grant order after ${step}`
        )
        // Maps compare regardless of order; sorted only to show a difference.
        if (!isDeepStrictEqual(endings, model.endings)) {
          expectEqual(
            [...endings].sort(([a], [b]) => a - b),
            [...model.endings].sort(([a], [b]) => a - b),
            `endings after ${step}`
          )
        }
        expectEqual(running, model.inUse, `effects running per partition after ${step}`)
        const [stats] = yield* limiter.stats
        const expected = {
          resource: name,
          capacity: model.capacity,
          inUse: model.total,
          waiting: model.queue.length,
          maxWaiting: cfg.maxWaiting,
          ...(partitionNames === undefined ? {} : {
            partitions: partitionNames.map((partition, i) => ({
              partition,
              guaranteed: model.guaranteed[i],
              inUse: model.inUse[i],
              waiting: model.queue.filter((w) => w.partition === i).length
            }))
          })
        }
        expectEqual(stats, expected, `stats after ${step}`)
        // The gauges are pushed by the semaphore on every change, so they must
        // track the stats at every step, not just at the end.
        expectEqual(
          yield* values(resourceGauges),
          [stats.capacity, stats.inUse, stats.waiting],
          `gauges after ${step}`
        )
        for (const p of stats.partitions ?? []) {
          expectEqual(
            yield* values(partitionGauges.get(p.partition)!),
            [p.guaranteed, p.inUse, p.waiting],
            `partition gauges of ${p.partition} after ${step}`
          )
        }
      })

    for (const [step, cmd] of commands.entries()) {
      counter.ops++
      const label = `#${step} ${JSON.stringify(cmd)}`
      switch (cmd.kind) {
        case "arrive": {
          const id = nextId++
          const index = partitionNames === undefined ? 0 : cmd.partition % partitionNames.length
          model.arrive(id, index, cmd.timeout)
          yield* arrive(id, cmd, index)
          break
        }
        case "finish": {
          const holders = [...model.holders.keys()]
          if (holders.length === 0) break
          yield* finish(holders[cmd.i % holders.length])
          break
        }
        case "race": {
          const holders = [...model.holders.keys()]
          if (holders.length === 0) break
          const before = model.grants.length
          yield* finish(holders[cmd.i % holders.length])
          // No settling in between: the interruption is sent while the
          // admitted waiter's resumption is still pending. Either way it was
          // granted (the counter says "acquired") and ends interrupted.
          const admitted = model.grants[before]
          if (admitted === undefined) break
          raced.add(admitted)
          interruptInModel(admitted)
          yield* interrupt(admitted)
          break
        }
        case "interrupt": {
          const targets = [...model.queue.map((w) => w.id), ...model.holders.keys()]
          if (targets.length === 0) break
          const id = targets[cmd.i % targets.length]
          interruptInModel(id)
          yield* interrupt(id)
          break
        }
        case "resize": {
          model.resize(cmd.n)
          yield* Limiter.setCapacity(Db, cmd.n)
          break
        }
        case "advance": {
          // Step to each deadline in turn and check there: a waiter that
          // expires early or late is caught at its own instant.
          const target = model.now + cmd.ms
          for (;;) {
            const due = model.queue.map((w) => w.deadline).filter((d) => d <= target)
            if (due.length === 0) break
            const at = Math.min(...due)
            yield* clock.adjust(at - model.now)
            model.now = at
            model.expire()
            yield* settle
            yield* check(`${label} at ${at}`)
          }
          yield* clock.adjust(target - model.now)
          model.now = target
          break
        }
      }
      yield* settle
      yield* check(label)
    }

    // Quiescence: holders finish one by one (each may admit a waiter, which
    // then holds and finishes in turn); once nobody holds, waiters are
    // interrupted, oldest first.
    while (model.holders.size > 0 || model.queue.length > 0) {
      const [holder] = model.holders.keys()
      if (holder !== undefined) {
        yield* finish(holder)
      } else {
        const waiter = model.queue[0]
        interruptInModel(waiter.id)
        yield* interrupt(waiter.id)
      }
      yield* settle
      yield* check("quiescence")
    }
    yield* check("quiescence")
    const [stats] = yield* limiter.stats
    expectEqual([stats.inUse, stats.waiting], [0, 0], "in use and waiting at quiescence")
    for (const [id, fiber] of fibers) {
      const exit = yield* Fiber.await(fiber)
      expectEqual(Exit.isFailure(exit) && Cause.isDie(exit.cause), false, `guard ${id} died`)
    }
    // The counter has a series per partition (resource-level when unpartitioned).
    const countsAfter = yield* readCounts
    const moved = countsAfter.map((counts, i) =>
      Object.fromEntries(outcomes.map((o) => [o, counts[o] - countsBefore[i][o]]))
    )
    expectEqual(moved, model.counts, "acquisitions counted per partition and outcome")
  }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] }))))
}
