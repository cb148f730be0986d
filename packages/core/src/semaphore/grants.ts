/**
 * Releasing several held grants at once: a guard's, one per resource, when
 * its effect (or its scope) ends.
 */
import type { Ending, Waiter } from "./waiter.js"

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
