/**
 * Permits taken by count, without a receipt: the `take` / `release(n)`
 * side of an Effect semaphore, where the caller gives back a number rather
 * than a grant. The semaphore counts them, so that a release by count gives
 * back only those, never the permits of a grant (a guard's, or
 * `withPermits`'), which its own `release` returns to its own partition.
 *
 * Permits taken by count always belong to the semaphore's own queue (index
 * 0), which is owed nothing.
 */
import { HandOff } from "./handOff.js"
import { Done, Granted, type Waiter } from "./waiter.js"

/** A `HandOff` that also counts the permits taken without a receipt. */
export class Counted<R> extends HandOff<R> {
  /** Permits taken without a receipt, the only ones `releaseCounted` may give back. */
  unreceipted = 0

  /** Takes `permits` by count if that needs no wait (the `tryTake` of an Effect semaphore); whether it did. */
  tryTakeCounted(permits: number): boolean {
    if (!this.canTakeNow(permits)) return false
    const own = this.queues[0]
    this.taken += permits
    this.unreceipted += permits
    own.inUse += permits
    this.changed(own)
    return true
  }

  /**
   * Ends the grant of a `take`: its permits are now the caller's, to give
   * back by count — unless `revokeAll` already took them back.
   */
  countGrant(waiter: Waiter<R>): void {
    waiter.state = Done
    if (waiter.epoch === this.epoch) this.unreceipted += waiter.permits
  }

  /**
   * Gives back `permits` taken by count and hands them on; answers the
   * permits free afterwards. Throws a `RangeError` when fewer were taken by
   * count: a permit released twice, or one a grant holds.
   */
  releaseCounted(permits: number): number {
    if (permits > this.unreceipted) {
      throw new RangeError(
        `Semaphore.release: releasing ${permits} permit(s) but only ${this.unreceipted} are taken by take or ` +
          "tryTake (a permit released twice, or one that withPermits or a guard holds)"
      )
    }
    this.checkRelease(permits)
    this.unreceipted -= permits
    this.giveBack(permits, this.queues[0])
    return this.capacity - this.taken
  }

  /**
   * Gives back the permits of a grant its caller never claimed (its fiber
   * exited between the grant and `countGrant`). Lenient, where `abandon` is
   * strict: it runs where a thrown error has nowhere to go.
   */
  reclaim(waiter: Waiter<R>): void {
    if (waiter.state !== Granted) return
    waiter.state = Done
    if (waiter.epoch === this.epoch && waiter.permits <= this.taken) this.giveBack(waiter.permits, waiter.queue)
  }

  /** Also forgets the permits taken by count: `revokeAll` returned them too. */
  override revokeAll(): void {
    this.unreceipted = 0
    super.revokeAll()
  }
}
