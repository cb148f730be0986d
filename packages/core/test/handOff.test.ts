/**
 * The hand-off against a model (packages/core/test/model.ts): random
 * configurations (capacity, FIFO / LIFO, `maxWaiting`, partitions) driven by
 * random waits (bounded or not, with or without a deadline, through
 * `tryGrant` first or straight to `park`), claims, releases (twice, too),
 * interruptions, clock steps, resizes, `revokeAll`s, `tryHold`s, and
 * takes and releases by count (`Counted`), reclaims included. The
 * core is synchronous, so every step ends at quiescence; after each, the
 * core and the model must agree on every waiter's state and outcome, the
 * order of grants and how long each waited, the queues' contents and
 * permits, and what the observer heard; no waiter is resumed twice, and no
 * one who fits is left waiting. At the end, once every holder released and
 * every waiter gave up, nothing is in use: no permit leaked, none was
 * released twice (that throws), and the available count never exceeded the
 * capacity.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DeadlineHeap, type DeadlineTimer, type Expirable } from "../src/deadlines/heap.js"
import { Counted } from "../src/semaphore/counted.js"
import type { Observer } from "../src/semaphore/handOff.js"
import { nextWaiter } from "../src/semaphore/queue.js"
import { Done, Granted, Held, type Outcomes, type Waiter, Waiting } from "../src/semaphore/waiter.js"
import { type Config, Model, type ModelWaiter, type Outcome, type Phase } from "./model.js"

const outcomes: Outcomes<Outcome> = { granted: "granted", expired: "expired", queueFull: "queueFull" }

/** A deadline timer on a hand-driven clock. */
class ManualTimer implements DeadlineTimer {
  readonly heap = new DeadlineHeap()
  time = 0
  now(): number {
    return this.time
  }
  add(entry: Expirable): void {
    this.heap.add(entry)
  }
  remove(entry: Expirable): void {
    this.heap.remove(entry)
  }
}

const config: fc.Arbitrary<Config> = fc.record({
  capacity: fc.integer({ min: 0, max: 4 }),
  maxWaiting: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Infinity)),
  lifo: fc.boolean(),
  partitions: fc.option(
    fc.record({
      weights: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      slack: fc.integer({ min: 0, max: 3 })
    }),
    { freq: 2 }
  )
})

const command = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("wait" as const),
      permits: fc.integer({ min: 1, max: 3 }),
      partition: fc.nat(),
      bounded: fc.boolean(),
      timeout: fc.option(fc.integer({ min: 0, max: 10 })),
      tryFirst: fc.boolean()
    })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("claim" as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("abandon" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), by: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resize" as const), to: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("revokeAll" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("tryHold" as const),
      permits: fc.integer({ min: 1, max: 3 }),
      partition: fc.nat()
    })
  }
)
const byCount = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("tryTakeCounted" as const), permits: fc.integer({ min: 1, max: 3 }) })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("countGrant" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("releaseCounted" as const), permits: fc.integer({ min: 1, max: 3 }) })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reclaim" as const), pick: fc.nat() }) }
)
const anyCommand = fc.oneof({ weight: 5, arbitrary: command }, { weight: 2, arbitrary: byCount })
type Command = typeof anyCommand extends fc.Arbitrary<infer T> ? T : never

const phaseOf = (waiter: Waiter<Outcome>): Phase => {
  switch (waiter.state) {
    case Waiting:
      return "waiting"
    case Granted:
      return "granted"
    case Held:
      return "held"
    case Done:
      return "done"
    default:
      throw new Error(`a waiter left Idle after its step: ${waiter.state}`)
  }
}

/** The core side of one run: the semaphore, its waiters by model id, and what they and the observer saw. */
class Driver {
  readonly timer = new ManualTimer()
  readonly semaphore: Counted<Outcome>
  readonly waiters: Array<Waiter<Outcome>> = []
  readonly outcomes: Array<Outcome | undefined> = []
  readonly ids = new Map<Waiter<Outcome>, number>()
  readonly grants: Array<readonly [id: number, waited: number]> = []
  readonly failed = { timeout: 0, "queue-full": 0, interrupted: 0 }
  released = 0

  constructor(readonly config: Config) {
    const p = config.partitions
    const total = p === null ? 1 : p.weights.reduce((a, b) => a + b, 0) + p.slack
    this.semaphore = new Counted(config.capacity, outcomes, {
      order: config.lifo ? "lifo" : "fifo",
      maxWaiting: config.maxWaiting,
      partitions: p?.weights.map((w, i) => [`p${i}`, w / total] as const)
    })
    this.semaphore.observer = this.observer()
  }

  private observer(): Observer<Outcome> {
    return {
      now: () => this.timer.time,
      changed: (semaphore) => {
        expect(semaphore.waiting).toBe(semaphore.queues.reduce((sum, q) => sum + q.waiting, 0))
      },
      resized: () => {},
      acquired: (waiter, waited) => this.grants.push([this.idOf(waiter), waited]),
      failed: (_, outcome) => this.failed[outcome]++,
      released: () => this.released++
    }
  }

  /** The waiter's model id: waiters get theirs in creation order, as the model's do. */
  private idOf(waiter: Waiter<Outcome>): number {
    let id = this.ids.get(waiter)
    if (id === undefined) {
      id = this.waiters.length
      this.ids.set(waiter, id)
      this.waiters.push(waiter)
      this.outcomes.push(undefined)
    }
    return id
  }

  resume(waiter: Waiter<Outcome>): (outcome: Outcome) => void {
    return (outcome) => {
      const id = this.idOf(waiter)
      expect(this.outcomes[id], `waiter ${id} resumed twice`).toBeUndefined()
      this.outcomes[id] = outcome
    }
  }

  wait(permits: number, partition: number, bounded: boolean, timeout: number | null, tryFirst: boolean): void {
    const s = this.semaphore
    const waiter = s.newWaiter(permits, s.queues[partition])
    const id = this.idOf(waiter)
    // As an Effect line does: the fast path answers synchronously, the rest parks.
    if (tryFirst && s.tryGrant(waiter)) {
      this.outcomes[id] = "granted"
    } else if (tryFirst && bounded && s.isFull()) {
      s.refuse(waiter)
      this.outcomes[id] = "queueFull"
    } else {
      const deadline = timeout === null ? Infinity : this.timer.time + timeout
      s.park(waiter, this.resume(waiter), timeout === null ? undefined : this.timer, deadline, bounded)
    }
  }

  tryHold(permits: number, partition: number): void {
    const waiter = this.semaphore.tryHold(permits, this.semaphore.queues[partition])
    if (waiter !== null) this.idOf(waiter)
  }

  advance(by: number): void {
    this.timer.time += by
    expect(this.timer.heap.expireDue(this.timer.time, Infinity)).toBeUndefined()
  }
}

/** Core and model agree, and the core's own invariants hold. */
const check = (driver: Driver, model: Model): void => {
  const s = driver.semaphore
  expect(driver.waiters.map(phaseOf)).toEqual(model.waiters.map((w) => w.phase))
  expect(driver.outcomes).toEqual(model.waiters.map((w) => w.outcome))
  expect(driver.grants).toEqual(model.grants)
  expect(driver.failed).toEqual(model.failed)
  expect(driver.released).toBe(model.released)
  expect([s.capacity, s.taken, s.unreceipted, s.waiting, s.epoch]).toEqual([
    model.capacity,
    model.taken,
    model.unreceipted,
    model.waiting().length,
    model.epoch
  ])
  expect(s.queues.map((q) => q.inUse)).toEqual(model.inUse)
  expect(s.queues.map((q) => q.guaranteed)).toEqual(model.guaranteed)
  // Each queue's list, walked both ways, holds the model's waiters of that partition in arrival order.
  s.queues.forEach((queue, p) => {
    const forward: Array<number> = []
    let prev: Waiter<Outcome> | null = null
    for (let w = queue.head; w !== null; prev = w, w = w.next) {
      expect(w.prev).toBe(prev)
      forward.push(driver.ids.get(w)!)
    }
    expect(queue.tail).toBe(prev)
    expect(queue.waiting).toBe(forward.length)
    expect(forward).toEqual(model.waiting().filter((w) => w.partition === p).map((w) => w.id))
  })
  // Only waiting ones with a deadline are in the heap.
  expect(driver.timer.heap.size).toBe(model.waiting().filter((w) => w.deadline !== Infinity).length)
  // No permit leaked: what is taken is exactly what this epoch's grants hold, plus what was taken by count.
  const live = model.waiters.filter((w) => (w.phase === "granted" || w.phase === "held") && w.epoch === model.epoch)
  expect(s.taken).toBe(live.reduce((sum, w) => sum + w.permits, model.unreceipted))
  // The available count never exceeds the capacity.
  expect(s.taken).toBeGreaterThanOrEqual(0)
  // Strict, and no one who fits is left waiting.
  const next = nextWaiter(s.queues, s.lifo)
  if (next !== null) expect(next.permits).toBeGreaterThan(s.capacity - s.taken)
  expect(next === null ? undefined : driver.ids.get(next)).toBe(model.next()?.id)
}

const pick = (model: Model, phases: ReadonlyArray<Phase>, n: number): ModelWaiter | undefined => {
  const candidates = model.waiters.filter((w) => phases.includes(w.phase))
  return candidates.length === 0 ? undefined : candidates[n % candidates.length]
}

const step = (driver: Driver, model: Model, cmd: Command): void => {
  const queues = driver.semaphore.queues.length
  switch (cmd.kind) {
    case "wait":
      model.wait(cmd.permits, cmd.partition % queues, cmd.bounded, cmd.timeout)
      return driver.wait(cmd.permits, cmd.partition % queues, cmd.bounded, cmd.timeout, cmd.tryFirst)
    case "tryHold":
      model.tryHold(cmd.permits, cmd.partition % queues)
      return driver.tryHold(cmd.permits, cmd.partition % queues)
    case "claim": {
      const w = pick(model, ["granted"], cmd.pick)
      if (w === undefined) return
      model.claim(w)
      return driver.waiters[w.id].hold()
    }
    case "release": {
      // Done ones too: a second release must do nothing.
      const w = pick(model, ["held", "done"], cmd.pick)
      if (w === undefined) return
      model.release(w)
      return driver.waiters[w.id].release(cmd.pick % 2 === 0 ? "success" : "failure")
    }
    case "abandon": {
      const w = pick(model, ["waiting", "granted"], cmd.pick)
      if (w === undefined) return
      model.abandon(w)
      return driver.semaphore.abandon(driver.waiters[w.id])
    }
    case "advance":
      model.advance(cmd.by)
      return driver.advance(cmd.by)
    case "resize":
      model.resize(cmd.to)
      return driver.semaphore.resizeTo(cmd.to)
    case "revokeAll":
      model.revokeAll()
      return driver.semaphore.revokeAll()
    case "tryTakeCounted":
      expect(driver.semaphore.tryTakeCounted(cmd.permits)).toBe(model.tryTakeCounted(cmd.permits))
      return
    case "countGrant": {
      // A `take`'s grant: of the own queue.
      const w = pick(model, ["granted"], cmd.pick)
      if (w === undefined || w.partition !== 0) return
      model.countGrant(w)
      return driver.semaphore.countGrant(driver.waiters[w.id])
    }
    case "releaseCounted": {
      const available = model.releaseCounted(cmd.permits)
      if (available === null) {
        expect(() => driver.semaphore.releaseCounted(cmd.permits)).toThrow(RangeError)
      } else {
        expect(driver.semaphore.releaseCounted(cmd.permits)).toBe(available)
      }
      return
    }
    case "reclaim": {
      const w = pick(model, ["granted"], cmd.pick)
      if (w === undefined) return
      model.reclaim(w)
      return driver.semaphore.reclaim(driver.waiters[w.id])
    }
  }
}

describe("HandOff against a model", () => {
  it("agrees with the model at every step, and leaks no permit", () =>
    fc.assert(
      fc.property(config, fc.array(anyCommand, { maxLength: 60 }), (cfg, commands) => {
        const driver = new Driver(cfg)
        const model = new Model(cfg)
        for (const cmd of commands) {
          step(driver, model, cmd)
          check(driver, model)
        }
        // Wind down: every waiter gives up, every grant is claimed and released.
        for (const w of model.waiters.filter((w) => w.phase === "waiting")) {
          model.abandon(w)
          driver.semaphore.abandon(driver.waiters[w.id])
        }
        for (const w of model.waiters.filter((w) => w.phase === "granted" || w.phase === "held")) {
          model.claim(w)
          driver.waiters[w.id].hold()
          model.release(w)
          driver.waiters[w.id].release()
        }
        if (model.unreceipted > 0) {
          expect(driver.semaphore.releaseCounted(model.unreceipted)).toBe(model.releaseCounted(model.unreceipted))
        }
        check(driver, model)
        const s = driver.semaphore
        expect([s.taken, s.waiting, driver.timer.heap.size]).toEqual([0, 0, 0])
        expect(s.queues.every((q) => q.inUse === 0 && q.head === null)).toBe(true)
      }),
      { numRuns: 1000 }
    ))

  it("a grant revokeAll took back before its caller claimed it returns nothing, however it ends", () => {
    const semaphore = new Counted<Outcome>(2, outcomes)
    const parked: Array<Outcome> = []
    expect(semaphore.tryTakeCounted(2)).toBe(true)
    const reclaimed = semaphore.newWaiter(1, semaphore.queues[0])
    const counted = semaphore.newWaiter(1, semaphore.queues[0])
    semaphore.park(reclaimed, (o) => parked.push(o), undefined, Infinity, false)
    semaphore.park(counted, (o) => parked.push(o), undefined, Infinity, false)
    expect(parked).toEqual([])
    // The counted permits come back and go to the two waiters; then those grants are taken back too.
    semaphore.revokeAll()
    expect(parked).toEqual(["granted", "granted"])
    semaphore.revokeAll()
    const holder = semaphore.tryHold(2)
    expect(holder).not.toBeNull()
    // Neither older grant may free the holder's permits, nor count them as taken by count.
    semaphore.reclaim(reclaimed)
    semaphore.countGrant(counted)
    expect([semaphore.taken, semaphore.unreceipted]).toEqual([2, 0])
    expect(() => semaphore.releaseCounted(1)).toThrow(RangeError)
    holder!.release()
    expect(semaphore.taken).toBe(0)
  })
})
