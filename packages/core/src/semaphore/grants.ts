/**
 * A guard's grants, one per resource: taken at once when all are free (its
 * fast path), and released together when its effect (or its scope) ends.
 */
import type { HandOff } from "./handOff.js"
import type { Queue } from "./queue.js"
import type { Ending, Waiter } from "./waiter.js"

/**
 * Takes, in order, one permit of each of `semaphores` (from `queues[i]`)
 * that is free now with nobody queued before it, pushing each grant, held,
 * onto `grants`; stops at the first that would have to wait. Whether all
 * were taken. Allocates nothing but the grants.
 */
export const tryHoldEach = <R>(
  semaphores: ReadonlyArray<HandOff<R>>,
  queues: ReadonlyArray<Queue<R>>,
  grants: Array<Waiter<R>>
): boolean => {
  for (let i = 0; i < semaphores.length; i++) {
    const grant = semaphores[i].tryHold(1, queues[i])
    if (grant === null) return false
    grants.push(grant)
  }
  return true
}

/**
 * Releases held grants, the last one first (the reverse of the canonical
 * order they were taken in). A release that throws (permits released twice,
 * after a `revokeAll` let a release by count take them) does not keep the
 * others from being released: the first error is rethrown once all are done.
 */
export const releaseGrants = <R>(grants: ReadonlyArray<Waiter<R>>, ending: Ending): void => {
  let failed = false
  let error: unknown
  for (let i = grants.length - 1; i >= 0; i--) {
    try {
      grants[i].release(ending)
    } catch (thrown) {
      if (!failed) error = thrown
      failed = true
    }
  }
  if (failed) throw error
}
