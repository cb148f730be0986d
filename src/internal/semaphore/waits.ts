/**
 * Acquisitions as effects: taking permits at once when they are free, and
 * otherwise parking the fiber in the core's queue (`HandOff.park`) until a
 * release hands them over, its deadline passes, or it is interrupted.
 *
 * The acquiring fiber runs the whole acquisition uninterruptibly except the
 * wait itself, and handles a failed wait (always an interruption) in the
 * same uninterruptible region: a `Waiting` node is unlinked, a `Granted` node
 * gives its permits back, which hands them on to the next waiter. That is
 * what closes the race between a grant and an interruption. `withPermits`
 * installs the release before leaving that region; `take` from an
 * interruptible caller needs one more guard (see `takeInterruptibly`).
 *
 * @internal
 */
import { CheckedSemaphore } from "@effect-concurrency-limiter/core/semaphore/checked"
import type { QueueOptions } from "@effect-concurrency-limiter/core/semaphore/handOff"
import * as Effect from "effect/Effect"
import type { Deadlines } from "../deadlines.js"
import {
  type DeadlinePassed,
  type Outcome,
  outcomes,
  type Queue,
  type QueueFull,
  queueFull,
  type Waiter
} from "./outcomes.js"

/** @internal */
export class Waits extends CheckedSemaphore<Outcome> {
  constructor(capacity: number, options?: QueueOptions) {
    super(capacity, outcomes, options)
  }

  /**
   * Takes `permits` and succeeds with the waiter that records the grant, in
   * state `Granted`. Must run in an uninterruptible region; `restore` decides
   * whether the wait itself is interruptible. A failed wait (an interruption)
   * undoes itself here, in the same uninterruptible region, whether or not
   * the grant had already been made. Not bounded by `maxWaiting`.
   */
  acquire(
    permits: number,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  ): Effect.Effect<Waiter> {
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
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    deadlines: Deadlines | undefined,
    deadline: number
  ): Effect.Effect<Waiter, DeadlinePassed | QueueFull> {
    return this.wait(this.newWaiter(permits, queue), restore, deadlines, deadline, true)
  }

  private wait(
    waiter: Waiter,
    restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
    deadlines: Deadlines | undefined,
    deadline: number,
    bounded: boolean
  ): Effect.Effect<Waiter, DeadlinePassed | QueueFull> {
    if (this.tryGrant(waiter)) return Effect.succeed(waiter)
    if (bounded && this.isFull()) {
      this.refuse(waiter)
      return queueFull
    }
    return Effect.matchCauseEffect(
      // The core re-checks, grants, refuses or queues, and resumes the fiber
      // with one of `outcomes` (now, or at the grant or the deadline).
      restore(Effect.async<void, DeadlinePassed | QueueFull>((resume) =>
        this.park(waiter, resume, deadlines, deadline, bounded)
      )),
      {
        onFailure: (cause) => {
          this.abandon(waiter)
          return Effect.failCause(cause)
        },
        onSuccess: () => Effect.succeed(waiter)
      }
    )
  }
}
