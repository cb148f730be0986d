/**
 * A plain model of the hand-off's documented semantics, with arrays and
 * counters instead of linked lists and a heap, for
 * packages/core/test/handOff.test.ts.
 *
 * A wait is granted at once when no one waits and its permits are free;
 * otherwise a bounded wait finding `maxWaiting` waiters is refused, a wait
 * whose deadline has passed expires, and any other queues. Freed permits go
 * to the next waiter while it fits (strict: a next waiter that does not fit
 * blocks everyone): the oldest (LIFO: newest) waiter of a partition holding
 * less than its guarantee, else the oldest (newest) of any. `revokeAll`
 * frees every permit and starts a new epoch; the release of a grant of an
 * older epoch returns nothing. Permits taken by count (no receipt) belong
 * to the own queue, and only they can be released by count.
 */

/** What a parked waiter is resumed with, in the test. */
export type Outcome = "granted" | "expired" | "queueFull"

export type Phase = "waiting" | "granted" | "held" | "done"

export interface Config {
  readonly capacity: number
  readonly maxWaiting: number
  readonly lifo: boolean
  /** Integer weights plus unassigned slack: partition i's share is `weights[i] / (Σ weights + slack)`. */
  readonly partitions: { readonly weights: ReadonlyArray<number>; readonly slack: number } | null
}

export interface ModelWaiter {
  readonly id: number
  readonly permits: number
  /** 0: the semaphore's own queue; i > 0: the named partition i - 1. */
  readonly partition: number
  readonly createdAt: number
  phase: Phase
  epoch: number
  arrival: number
  deadline: number
  outcome: Outcome | undefined
}

/**
 * Largest remainder (Hamilton) in integers, apart from the core's float
 * arithmetic: partition i is owed `capacity × w_i / W`, floors topped up
 * largest remainder first (ties to the partition declared first), up to
 * `floor(capacity × Σw / W)`.
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

export class Model {
  now = 0
  capacity: number
  taken = 0
  /** Permits taken by count, without a receipt. */
  unreceipted = 0
  epoch = 0
  private arrivals = 0
  /** Per queue (0: own, then the partitions): permits held, and permits guaranteed. */
  readonly inUse: Array<number>
  guaranteed: Array<number>
  readonly waiters: Array<ModelWaiter> = []
  /** Ids in grant order, with how long each waited. */
  readonly grants: Array<readonly [id: number, waited: number]> = []
  readonly failed = { timeout: 0, "queue-full": 0, interrupted: 0 }
  released = 0

  constructor(readonly config: Config) {
    this.capacity = config.capacity
    this.inUse = Array.from({ length: 1 + (config.partitions?.weights.length ?? 0) }, () => 0)
    this.guaranteed = this.guaranteesFor(config.capacity)
  }

  private guaranteesFor(capacity: number): Array<number> {
    const p = this.config.partitions
    return p === null ? [0] : [0, ...guaranteesOf(capacity, p.weights, p.slack)]
  }

  /** The waiting ones, in arrival order. */
  waiting(): Array<ModelWaiter> {
    return this.waiters.filter((w) => w.phase === "waiting").sort((a, b) => a.arrival - b.arrival)
  }

  next(): ModelWaiter | undefined {
    const waiting = this.waiting()
    const ordered = this.config.lifo ? waiting.reverse() : waiting
    const owed = ordered.find((w) => this.inUse[w.partition] < this.guaranteed[w.partition])
    return owed ?? ordered[0]
  }

  private grant(w: ModelWaiter, phase: "granted" | "held"): void {
    w.phase = phase
    w.epoch = this.epoch
    this.taken += w.permits
    this.inUse[w.partition] += w.permits
    this.grants.push([w.id, this.now - w.createdAt])
  }

  private wake(): void {
    for (let next = this.next(); next !== undefined && this.capacity - this.taken >= next.permits; next = this.next()) {
      this.grant(next, "granted")
      next.outcome = "granted"
    }
  }

  private canTakeNow(permits: number): boolean {
    return this.waiting().length === 0 && this.capacity - this.taken >= permits
  }

  private newWaiter(permits: number, partition: number): ModelWaiter {
    const w: ModelWaiter = {
      id: this.waiters.length,
      permits,
      partition,
      createdAt: this.now,
      phase: "done",
      epoch: 0,
      arrival: -1,
      deadline: Infinity,
      outcome: undefined
    }
    this.waiters.push(w)
    return w
  }

  wait(permits: number, partition: number, bounded: boolean, timeout: number | null): ModelWaiter {
    const w = this.newWaiter(permits, partition)
    if (this.canTakeNow(permits)) {
      this.grant(w, "granted")
      w.outcome = "granted"
    } else if (bounded && this.waiting().length >= this.config.maxWaiting) {
      w.outcome = "queueFull"
      this.failed["queue-full"]++
    } else if (timeout !== null && timeout <= 0) {
      w.outcome = "expired"
      this.failed.timeout++
    } else {
      w.phase = "waiting"
      w.arrival = this.arrivals++
      w.deadline = timeout === null ? Infinity : this.now + timeout
      this.wake()
    }
    return w
  }

  tryHold(permits: number, partition: number): ModelWaiter | null {
    if (!this.canTakeNow(permits)) return null
    const w = this.newWaiter(permits, partition)
    this.grant(w, "held")
    return w
  }

  claim(w: ModelWaiter): void {
    if (w.phase === "granted") w.phase = "held"
  }

  private giveBack(w: ModelWaiter): void {
    if (w.epoch !== this.epoch) return
    this.taken -= w.permits
    this.inUse[w.partition] = Math.max(0, this.inUse[w.partition] - w.permits)
  }

  release(w: ModelWaiter): void {
    if (w.phase !== "held") return
    w.phase = "done"
    this.released++
    this.giveBack(w)
    this.wake()
  }

  abandon(w: ModelWaiter): void {
    if (w.phase === "waiting") {
      w.phase = "done"
      this.failed.interrupted++
    } else if (w.phase === "granted") {
      w.phase = "done"
      this.giveBack(w)
    }
    this.wake()
  }

  advance(by: number): void {
    this.now += by
    const due = this.waiting()
      .filter((w) => w.deadline <= this.now)
      .sort((a, b) => a.deadline - b.deadline || a.arrival - b.arrival)
    for (const w of due) {
      if (w.phase !== "waiting") continue
      w.phase = "done"
      w.outcome = "expired"
      this.failed.timeout++
      this.wake()
    }
  }

  resize(capacity: number): void {
    this.capacity = capacity
    this.guaranteed = this.guaranteesFor(capacity)
    this.wake()
  }

  revokeAll(): void {
    this.taken = 0
    this.unreceipted = 0
    this.inUse.fill(0)
    this.epoch++
    this.wake()
  }

  // --- by count ----------------------------------------------------------------

  tryTakeCounted(permits: number): boolean {
    if (!this.canTakeNow(permits)) return false
    this.taken += permits
    this.unreceipted += permits
    this.inUse[0] += permits
    return true
  }

  /** A granted `take` becomes permits held by count. */
  countGrant(w: ModelWaiter): void {
    if (w.phase !== "granted") return
    w.phase = "done"
    if (w.epoch === this.epoch) this.unreceipted += w.permits
  }

  /** The permits free afterwards, or `null` when fewer were taken by count (the core throws). */
  releaseCounted(permits: number): number | null {
    if (permits > this.unreceipted) return null
    this.unreceipted -= permits
    this.taken -= permits
    this.inUse[0] = Math.max(0, this.inUse[0] - permits)
    this.wake()
    return this.capacity - this.taken
  }

  /** An unclaimed grant's fiber exited: its permits go back. */
  reclaim(w: ModelWaiter): void {
    if (w.phase !== "granted") return
    w.phase = "done"
    this.giveBack(w)
    this.wake()
  }
}
