/**
 * The synchronous side of the public `Semaphore`, as both Effect lines
 * expose it: permit counts checked before they reach the hand-off, a resize
 * the owning limiter may refuse, and the semaphore's stats. Each line's
 * semaphore extends this class and wraps these in its effects.
 */
import { renderValue } from "../options/render.js"
import { Counted } from "./counted.js"

/** What a semaphore reports of itself: its capacity, the permits in use, the waiters. */
export interface SemaphoreStats {
  readonly capacity: number
  readonly inUse: number
  readonly waiting: number
}

/** Whether `permits` is a count a take or a release accepts: a positive safe integer. */
export const isPermitCount = (permits: number): boolean => Number.isSafeInteger(permits) && permits > 0

/** The defect of a `Semaphore.method` given a bad permit count. */
export const invalidPermits = (method: string, permits: number): RangeError =>
  new RangeError(`Semaphore.${method}: permits must be a positive integer, got ${renderValue(permits)}`)

/** Throws the defect of a `Semaphore.method` given a capacity that is not a non-negative safe integer. */
export const validateCapacity = (method: string, permits: number): void => {
  if (!(Number.isSafeInteger(permits) && permits >= 0)) {
    throw new RangeError(`Semaphore.${method}: capacity must be a non-negative integer, got ${renderValue(permits)}`)
  }
}

/** A `Counted` semaphore whose synchronous entry points check what they are given. */
export class CheckedSemaphore<R> extends Counted<R> {
  /**
   * Set by the limiter that owns the semaphore: checks a capacity asked for
   * through the `Semaphore` API (`resize`) as the limiter checks its own
   * options, and throws when the limiter would refuse it.
   */
  checkResize: ((capacity: number) => void) | null = null

  /** Returns permits taken without a receipt (`take`), counted against the semaphore's own queue. */
  unsafeRelease(permits: number): number {
    if (!isPermitCount(permits)) throw invalidPermits("unsafeRelease", permits)
    return this.releaseCounted(permits)
  }

  /** Takes `permits` by count if that needs no wait; whether it did. */
  unsafeTryTake(permits: number): boolean {
    if (!isPermitCount(permits)) throw invalidPermits("unsafeTryTake", permits)
    return this.tryTakeCounted(permits)
  }

  /** `resize`, checked: throws on a bad capacity, or one the owning limiter refuses. */
  resizeChecked(permits: number): void {
    validateCapacity("resize", permits)
    if (this.checkResize !== null) this.checkResize(permits)
    this.resizeTo(permits)
  }

  /** The semaphore's stats now. */
  unsafeStats(): SemaphoreStats {
    return { capacity: this.capacity, inUse: this.taken, waiting: this.waiting }
  }

  toJSON(): unknown {
    return { _id: "Semaphore", ...this.unsafeStats() }
  }

  toString(): string {
    return `Semaphore(${JSON.stringify(this.unsafeStats())})`
  }
}
