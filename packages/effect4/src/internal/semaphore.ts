/**
 * The project's semaphore for Effect 4, the entry the rest of the line
 * imports. The synchronous core (waiter, queue, partitions, hand-off) is the
 * shared core's (`@effect-concurrency-limiter/core/semaphore/*`); the parts
 * here, in `./semaphore/`, are Effect 4's:
 *
 * - `waits.ts`: acquisitions as effects, parking the fiber until a grant.
 * - `receipts.ts`: running an effect holding grants, and releasing them.
 * - `semaphoreImpl.ts`: the public `Semaphore` API over all of it, and the
 *   permits taken by count, without a receipt.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Semaphore from "../Semaphore.js"
import { SemaphoreImpl, validateCapacity } from "./semaphore/semaphoreImpl.js"

export { endingOf, holding, releaseGrants } from "./semaphore/receipts.js"
export { SemaphoreImpl, TypeId } from "./semaphore/semaphoreImpl.js"
export {
  DeadlinePassed,
  type Ending,
  type HandOff,
  type Observer,
  type Outcome,
  type Queue,
  QueueFull,
  type Waiter
} from "./semaphore/outcomes.js"
export { type Restore } from "./semaphore/waits.js"

/**
 * The implementation behind a public `Semaphore`, for the limiter, which
 * uses its grants and deadlines directly.
 *
 * @internal
 */
export const unsafeImpl = (semaphore: Semaphore.Semaphore): SemaphoreImpl => semaphore as SemaphoreImpl

/** @internal */
export const unsafeMake = (permits: number): Semaphore.Semaphore => {
  validateCapacity("make", permits)
  return new SemaphoreImpl(permits)
}

/** @internal */
export const make = (permits: number): Effect.Effect<Semaphore.Semaphore> => Effect.sync(() => unsafeMake(permits))
