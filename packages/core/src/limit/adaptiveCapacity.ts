/**
 * A resource whose capacity follows an adaptive `Limit`, shared by both
 * Effect lines (each gives it its clock).
 *
 * It watches the resource's semaphore (as the metrics do, and passing every
 * event on to them): each guarded call that ends feeds the algorithm one
 * sample — its round-trip time (grant to release), the permits in use at
 * its grant and at its release, and whether it succeeded or failed — and
 * each refusal (deadline or full queue) a `"dropped"` sample, which the
 * library's algorithms ignore but a custom `Limit` may use. When the
 * algorithm's limit moves, the semaphore is resized, which is the live
 * capacity of `setCapacity`: waiters are admitted at once when it grows, and
 * when it falls nothing running is interrupted. Interrupted calls, and
 * grants a guard never used, teach nothing and are not fed (Netflix's
 * `onIgnore`).
 */
import { renderValue } from "../options/render.js"
import type { HandOff, Observer } from "../semaphore/handOff.js"
import type { Queue } from "../semaphore/queue.js"
import type { Ending, Waiter } from "../semaphore/waiter.js"
import type { Limit, Sample } from "./model.js"

/** An observer that also hears the limit an adaptive resource is at (a line's metrics). */
export interface LimitObserver<R> extends Observer<R> {
  /** The resource's limit is now `value`, set by the algorithm called `algorithm`. */
  limit(value: number, algorithm: string): void
}

/** An `Observer` of one semaphore that feeds its `Limit` and resizes it to the limit computed. */
export class AdaptiveCapacity<R> implements Observer<R> {
  private state: unknown
  /** The limit the semaphore's capacity was last set to. */
  current: number

  constructor(
    private readonly algorithm: Limit<unknown>,
    /** The limit of `algorithm.initial`, already checked by the layer. */
    initial: number,
    private readonly semaphore: HandOff<R>,
    /**
     * The current time in millis with a fractional part: a call faster than
     * a millisecond would otherwise report a round-trip time of 0, which
     * Vegas and Gradient2 can only skip.
     */
    readonly now: () => number,
    /** The metrics' observer, which also publishes the limit; `null` when there is none. */
    private readonly inner: LimitObserver<R> | null,
    /** Reports a defect of the algorithm (the limiter logs it); must not throw. */
    private readonly report: (defect: unknown) => void
  ) {
    this.state = algorithm.initial
    this.current = initial
    this.publish()
  }

  changed(semaphore: HandOff<R>, queue: Queue<R>): void {
    this.inner?.changed(semaphore, queue)
  }

  resized(semaphore: HandOff<R>): void {
    this.inner?.resized(semaphore)
  }

  acquired(waiter: Waiter<R>, waitedMillis: number): void {
    this.inner?.acquired(waiter, waitedMillis)
  }

  failed(waiter: Waiter<R>, outcome: "timeout" | "queue-full" | "interrupted"): void {
    this.inner?.failed(waiter, outcome)
    if (outcome !== "interrupted") {
      this.feed({ endMillis: this.now(), rttMillis: 0, inflight: this.semaphore.taken, outcome: "dropped" })
    }
  }

  released(waiter: Waiter<R>, heldMillis: number, ending: Ending): void {
    this.inner?.released(waiter, heldMillis, ending)
    if (ending !== "interrupted") {
      this.feed({
        endMillis: this.now(),
        rttMillis: heldMillis,
        inflight: waiter.inflight,
        // Itself included: the observer hears of a release just after its
        // permits were counted back (unless `releaseAll` had returned them).
        inflightAtRelease: this.semaphore.taken + (waiter.epoch === this.semaphore.epoch ? waiter.permits : 0),
        outcome: ending
      })
    }
  }

  /**
   * Feeds the algorithm, which may be user code: it runs inside the
   * semaphore's bookkeeping, so whatever it does — throw, or answer a limit
   * that is no positive integer — is reported as a defect and the limit is
   * left as it was. The permits were already counted back.
   */
  private feed(sample: Sample): void {
    let state: unknown
    let next: number
    try {
      state = this.algorithm.update(this.state, sample)
      next = this.algorithm.limitOf(state)
    } catch (defect) {
      this.report(defect)
      return
    }
    if (!(Number.isSafeInteger(next) && next >= 1)) {
      this.report(
        new RangeError(
          `Limit.${this.algorithm.name}: limitOf answered ${renderValue(next)}, expected a positive safe integer`
        )
      )
      return
    }
    this.state = state
    if (next === this.current) return
    this.current = next
    this.publish()
    this.semaphore.resizeTo(next)
  }

  private publish(): void {
    this.inner?.limit(this.current, this.algorithm.name)
  }
}

/**
 * What the limiter logs when the `Limit` of the resource called `resource`
 * throws or answers a bad limit (the report an `AdaptiveCapacity` is given).
 */
export const limitDefectMessage = (resource: string): string =>
  `Limiter: the Limit of resource ${renderValue(resource)} threw or answered a bad limit; ` +
  "the limit stays where it was and the permits were returned"
