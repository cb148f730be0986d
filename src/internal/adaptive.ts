/**
 * A resource whose capacity follows an adaptive `Limit`.
 *
 * It watches the resource's semaphore (as the metrics do, and passing every
 * event on to them): each guarded call that ends feeds the algorithm one
 * sample — its round-trip time (grant to release), the permits in use at
 * its grant and at its release, and whether it succeeded or failed — and
 * each refusal (deadline or full queue) a `"dropped"` sample, which the
 * library's algorithms ignore but a custom `Limit` may use. When the algorithm's limit moves,
 * the semaphore is resized, which is the live capacity of `setCapacity`:
 * waiters are admitted at once when it grows, and when it falls nothing
 * running is interrupted. Interrupted calls, and grants a guard never used,
 * teach nothing and are not fed (Netflix's `onIgnore`).
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import type * as Limit from "../Limit.js"
import type { ResourceMetrics } from "./metrics.js"
import { renderValue } from "./options.js"
import type { Ending, HandOff, Observer, Queue, SemaphoreImpl, Waiter } from "./semaphore.js"

/** @internal */
export class AdaptiveCapacity implements Observer {
  private state: unknown
  /** The limit the semaphore's capacity was last set to. */
  current: number

  constructor(
    private readonly limit: Limit.Limit<unknown>,
    /** The limit of `limit.initial`, already checked by the layer. */
    initial: number,
    private readonly semaphore: SemaphoreImpl,
    private readonly clock: Clock.Clock,
    /** The metrics' observer, which also publishes the limit; `null` when they are off. */
    private readonly inner: ResourceMetrics | null,
    /** Reports a defect of the algorithm (the limiter logs it); must not throw. */
    private readonly report: (defect: unknown) => void
  ) {
    this.state = limit.initial
    this.current = initial
    this.publish()
  }

  /**
   * Millis with a fractional part: a call faster than a millisecond would
   * otherwise report a round-trip time of 0, which Vegas and Gradient2 can
   * only skip. (The metrics' own clock reads whole millis: their first
   * bucket is 1 ms.)
   */
  now(): number {
    return Number(this.clock.unsafeCurrentTimeNanos()) / 1_000_000
  }

  changed(semaphore: HandOff, queue: Queue): void {
    this.inner?.changed(semaphore, queue)
  }

  resized(semaphore: HandOff): void {
    this.inner?.resized(semaphore)
  }

  acquired(waiter: Waiter, waitedMillis: number): void {
    this.inner?.acquired(waiter, waitedMillis)
  }

  failed(waiter: Waiter, outcome: "timeout" | "queue-full" | "interrupted"): void {
    this.inner?.failed(waiter, outcome)
    if (outcome !== "interrupted") {
      this.feed({ endMillis: this.now(), rttMillis: 0, inflight: this.semaphore.taken, outcome: "dropped" })
    }
  }

  released(waiter: Waiter, heldMillis: number, ending: Ending): void {
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
  private feed(sample: Limit.Sample): void {
    let state: unknown
    let next: number
    try {
      state = this.limit.update(this.state, sample)
      next = this.limit.limitOf(state)
    } catch (defect) {
      this.report(defect)
      return
    }
    if (!(Number.isSafeInteger(next) && next >= 1)) {
      this.report(
        new RangeError(`Limit.${this.limit.name}: limitOf answered ${renderValue(next)}, expected a positive safe integer`)
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
    this.inner?.limit(this.current, this.limit.name)
  }
}
