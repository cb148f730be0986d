/**
 * The project's semaphore, the entry the rest of the library imports. Its
 * parts, from the bottom up. In the shared core
 * (`@effect-concurrency-limiter/core/semaphore/`, Effect-free):
 *
 * - `waiter.ts`: one acquisition (`Waiter`), its states, the failures of a
 *   wait, and the `Outcomes` a parked wait is resumed with.
 * - `queue.ts`: the wait queue, an intrusive linked list per partition, and
 *   the FIFO / LIFO choice of the next waiter across partitions.
 * - `partitions.ts`: the partitions and their guaranteed permits.
 * - `handOff.ts`: the synchronous core: the permit count, parking and
 *   enqueueing, the O(1) hand-off of freed permits, and waiters giving up.
 * - `counted.ts`: permits taken and released by count, without a receipt.
 * - `checked.ts`: the synchronous entry points, checked (counts, resize, stats).
 *
 * And here, in `./semaphore/`, the Effect 3 side:
 *
 * - `outcomes.ts`: the `Exit`s a parked wait is resumed with, and the
 *   core's types at them.
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

export {
  DeadlinePassed,
  type Ending,
  type HandOff,
  type Observer,
  type Outcome,
  type Queue,
  QueueFull,
  type QueueOptions,
  type Waiter
} from "./semaphore/outcomes.js"
export { holding, releaseGrants } from "./semaphore/receipts.js"
export { SemaphoreImpl, TypeId } from "./semaphore/semaphoreImpl.js"

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
