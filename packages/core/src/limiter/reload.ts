/**
 * A reload's settings applied to a limiter's semaphores (`Limiter.reload`):
 * only what comes from `Config` is re-read, so a capacity given as a number
 * keeps whatever `setCapacity` made of it.
 */
import type { HandOff } from "../semaphore/handOff.js"

/** A resource's options, read (from `Config` where given) and checked. */
export interface ResourceSettings {
  readonly capacity: number
  readonly maxWaiting: number
}

/** The options `Limiter.reload` reads again, read and checked; `D` is the line's `Duration`. */
export interface Settings<D> {
  readonly timeout: D
  readonly enabled: boolean
  readonly resources: ReadonlyArray<ResourceSettings>
}

/**
 * Gives each semaphore the settings of its resource (`resources[i]`, whose
 * options `isConfig` tells as read from `Config`): the queue bound, and the
 * capacity when it changed (a resize admits waiters at once).
 */
export const applyReload = <R>(
  semaphores: ReadonlyArray<HandOff<R>>,
  resources: ReadonlyArray<{ readonly capacity: unknown; readonly maxWaiting?: unknown }>,
  next: ReadonlyArray<ResourceSettings>,
  isConfig: (option: unknown) => boolean
): void => {
  for (let i = 0; i < semaphores.length; i++) {
    const semaphore = semaphores[i]
    const { capacity, maxWaiting } = next[i]
    if (isConfig(resources[i].maxWaiting)) semaphore.maxWaiting = maxWaiting
    if (isConfig(resources[i].capacity) && semaphore.capacity !== capacity) semaphore.resizeTo(capacity)
  }
}
