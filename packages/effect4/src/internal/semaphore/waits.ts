/**
 * Acquisitions as effects: taking permits at once when they are free, and
 * otherwise parking the fiber in the core's queue until a release hands
 * them over, its deadline passes, or it is interrupted.
 *
 * The acquiring fiber runs the whole acquisition uninterruptibly except the
 * wait itself, and handles a failed wait (always an interruption, or the
 * wait's own refusal) in the same uninterruptible region: a `Waiting` node is
 * unlinked, a `Granted` node gives its permits back, which hands them on to
 * the next waiter. That is what closes the race between a grant and an
 * interruption.
 *
 * Effect 4 resumes a parked fiber synchronously, inside the caller of
 * `resume`. A grant's resumption is scheduled on the waiting fiber's own
 * dispatcher instead, as Effect 4's own semaphore does: otherwise a release
 * would run the next holder's whole effect inside its own exit handler, and
 * a queue of short effects would nest one call per waiter. Refusals (a
 * deadline, a full queue) resume at once: they release nothing, so they
 * cannot chain.
 *
 * @internal
 */
import type { DeadlineTimer } from "@effect-concurrency-limiter/core/deadlines/heap"
import { CheckedSemaphore } from "@effect-concurrency-limiter/core/semaphore/checked"
import type { QueueOptions } from "@effect-concurrency-limiter/core/semaphore/handOff"
import * as Effect from "effect/Effect"
import {
  type DeadlinePassed,
  granted,
  type Outcome,
  outcomes,
  type Queue,
  queueFull,
  type QueueFull,
  type Waiter
} from "./outcomes.js"

/** A region's `restore`, or `identity` when the caller was already uninterruptible. */
export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** @internal */
export class Waits extends CheckedSemaphore<Outcome> {
  constructor(capacity: number, options?: QueueOptions) {
    super(capacity, outcomes, options)
  }

  /**
   * Takes `permits` from the semaphore's own queue and succeeds with the
   * waiter that records the grant, in state `Granted`. Must run in an
   * uninterruptible region; `restore` decides whether the wait itself is
   * interruptible. Not bounded by `maxWaiting`, no deadline.
   */
  acquire(permits: number, restore: Restore): Effect.Effect<Waiter> {
    return this.wait(this.newWaiter(permits, this.queues[0]), restore, undefined, Infinity, false) as Effect.Effect<
      Waiter
    >
  }

  /**
   * `acquire` into `queue`, bounded by `maxWaiting`, giving up when
   * `deadline` (Clock millis) passes on `deadlines`' clock. A wait that would
   * make the queue longer than `maxWaiting` fails at once with `QueueFull`,
   * without queueing or arming a timer. A wait still queued at the deadline
   * leaves the queue and fails with `DeadlinePassed`; a deadline already
   * passed fails at once, without queueing, unless the permits are free now.
   */
  acquireUntil(
    permits: number,
    queue: Queue,
    restore: Restore,
    deadlines: DeadlineTimer | undefined,
    deadline: number
  ): Effect.Effect<Waiter, DeadlinePassed | QueueFull> {
    return this.wait(this.newWaiter(permits, queue), restore, deadlines, deadline, true)
  }

  private wait(
    waiter: Waiter,
    restore: Restore,
    deadlines: DeadlineTimer | undefined,
    deadline: number,
    bounded: boolean
  ): Effect.Effect<Waiter, DeadlinePassed | QueueFull> {
    if (this.tryGrant(waiter)) return Effect.succeed(waiter)
    if (bounded && this.isFull()) {
      this.refuse(waiter)
      return queueFull
    }
    return Effect.withFiber((fiber) =>
      Effect.matchCauseEffect(
        restore(Effect.callback<void, DeadlinePassed | QueueFull>((resume) => {
          this.park(
            waiter,
            (outcome) =>
              outcome === granted
                ? fiber.currentDispatcher.scheduleTask(() => resume(outcome), 0)
                : resume(outcome),
            deadlines,
            deadline,
            bounded
          )
        })),
        {
          onFailure: (cause) => {
            // An interruption, or the wait's own refusal (then the waiter is
            // already `Done` and this does nothing).
            this.abandon(waiter)
            return Effect.failCause(cause)
          },
          onSuccess: () => Effect.succeed(waiter)
        }
      )
    )
  }
}
