/**
 * The deadline timer's bookkeeping, apart from its fiber: the heap of
 * pending deadlines, the deadline the running timer sleeps towards, the
 * generation that tells a replaced timer to stop, and the timer's fate once
 * closed. Each Effect line's `Deadlines` owns one and supplies the fiber:
 * it starts a timer when `add` answers a generation, and at each wake-up
 * calls `expireDue`, then sleeps until `armedAt` (or pauses, when more are
 * already due; or stops, at `Infinity`).
 *
 * Registering, cancelling and expiring are O(log n) (the heap's), and
 * nothing is allocated per deadline.
 */
import { DeadlineHeap, type Expirable } from "./heap.js"

/** The state of one limiter's deadline timer. */
export class DeadlineSchedule {
  private readonly heap = new DeadlineHeap()
  /**
   * The deadline the running timer sleeps towards; `Infinity` when no timer
   * runs. After `expireDue`, what the timer does next: sleep until it, go on
   * at once when it has passed already, stop at `Infinity`.
   */
  armedAt = Infinity
  /** Bumped whenever a new timer takes over, so that a replaced one stops at its next step. */
  private generation = 0
  private closed = false

  /** `sliceSize` due deadlines expire per wake-up, so that a late timer does not answer thousands in one turn. */
  constructor(private readonly sliceSize = 256) {}

  /** The number of deadlines waiting to pass. */
  get size(): number {
    return this.heap.size
  }

  /**
   * Registers `entry`, whose `deadline` is set. Answers the generation of a
   * timer the caller must start now, sleeping until `entry.deadline` and
   * replacing the one that runs (which sleeps until later); `0` when the
   * running timer will do. Once closed, `entry` expires at once (no timer
   * will run again: the wait fails now rather than never).
   */
  add(entry: Expirable): number {
    if (this.closed) {
      entry.expire()
      return 0
    }
    this.heap.add(entry)
    if (entry.deadline >= this.armedAt) return 0
    this.armedAt = entry.deadline
    return ++this.generation
  }

  /**
   * Unregisters `entry` if it is registered; it will not expire. The timer
   * is left sleeping towards a deadline that may now be gone: it wakes,
   * finds nothing due, and sleeps on. Waking it early would cost more.
   */
  remove(entry: Expirable): void {
    this.heap.remove(entry)
  }

  /** Whether the timer of `generation` is still the one that runs (a replaced one stops). */
  isCurrent(generation: number): boolean {
    return generation === this.generation
  }

  /**
   * A wake-up of the timer at `now`: expires, in order, at most a slice of
   * the deadlines that have passed, and sets `armedAt` to the next one
   * (`Infinity` when none is left). Returns what the expiries threw, as the
   * heap's `expireDue` does.
   */
  expireDue(now: number): Array<unknown> | undefined {
    const errors = this.heap.expireDue(now, this.sliceSize)
    const top = this.heap.peek()
    this.armedAt = top === undefined ? Infinity : top.deadline
    return errors
  }

  /**
   * Stops the timer for good (the limiter's layer is closing): no timer is
   * current any more, and the deadlines still registered expire now, so that
   * their waiters fail instead of waiting for a timer that no longer runs.
   * Returns what the expiries threw.
   */
  close(): Array<unknown> | undefined {
    this.closed = true
    this.generation++
    this.armedAt = Infinity
    return this.heap.expireAll()
  }
}
