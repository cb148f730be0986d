/**
 * The core's wait queue (`@effect-concurrency-limiter/core/semaphore/*`) as
 * the Effect 4 line uses it: the `Exit`s a parked wait is resumed with, and
 * the core's generic types at that outcome type.
 *
 * @internal
 */
import type * as Core from "@effect-concurrency-limiter/core/semaphore/handOff"
import type * as CoreQueue from "@effect-concurrency-limiter/core/semaphore/queue"
import {
  DeadlinePassed,
  type Outcomes,
  QueueFull,
  type Waiter as CoreWaiter
} from "@effect-concurrency-limiter/core/semaphore/waiter"
import * as Exit from "effect/Exit"

export { DeadlinePassed, type Ending, QueueFull } from "@effect-concurrency-limiter/core/semaphore/waiter"
export type { QueueOptions } from "@effect-concurrency-limiter/core/semaphore/handOff"

/** What a parked wait is resumed with: granted (`Exit.void`), or failed with one of the two reasons. @internal */
export type Outcome = Exit.Exit<void, DeadlinePassed | QueueFull>

/** The permits were handed over. One constant: a hand-off allocates no outcome. @internal */
export const granted: Outcome = Exit.void

/** The failure of a wait whose deadline passed. One constant: an expiry allocates nothing. @internal */
export const expired: Exit.Exit<never, DeadlinePassed> = Exit.fail(DeadlinePassed)

/** The failure of a wait refused because the queue was full. One constant. @internal */
export const queueFull: Exit.Exit<never, QueueFull> = Exit.fail(QueueFull)

/** The outcomes every semaphore of this line hands the core. @internal */
export const outcomes: Outcomes<Outcome> = { granted, expired, queueFull }

/** One acquisition (see the core's `Waiter`). @internal */
export type Waiter = CoreWaiter<Outcome>

/** One partition of a semaphore's queue. @internal */
export type Queue = CoreQueue.Queue<Outcome>

/** The semaphore's synchronous core. @internal */
export type HandOff = Core.HandOff<Outcome>

/** What the semaphore tells whoever watches it. @internal */
export type Observer = Core.Observer<Outcome>
