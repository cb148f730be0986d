/**
 * A guard's plan: what it resolves once per limiter it meets, so that each
 * call only reads it. The resources in the limiter's canonical order (no
 * two guards can then deadlock), their semaphores, the queue (partition)
 * the guard waits in on each, the limiter's internals, and its adaptive
 * resources, whose limit each call records on its span.
 */
import { AdaptiveCapacity } from "../limit/adaptiveCapacity.js"
import { type GuardedResource, sameDefinition } from "../options/guard.js"
import type { HandOff } from "../semaphore/handOff.js"
import type { Queue } from "../semaphore/queue.js"

/** What a plan needs of a limiter: its resources and the rank (canonical place) of each. */
export interface RankedLimiter<Res> {
  readonly resources: ReadonlyArray<Res>
  readonly rankOf: (resource: Res) => number | undefined
}

/** How a line names itself in a plan's errors. */
export interface PlanMessages<Res> {
  /** The line's package, named when a limiter service was built by another copy of it. */
  readonly library: string
  /** The message of a guard whose resource is another definition of a listed one (the line's `twoDefinitions`). */
  readonly twoDefinitions: (resource: Res) => string
}

/** A guard's plan for one limiter; `R` is what the semaphores' waiters are resumed with. */
export interface Plan<L, Res, R, S extends HandOff<R>, I> {
  readonly limiter: L
  readonly ordered: ReadonlyArray<Res>
  readonly semaphores: ReadonlyArray<S>
  readonly queues: ReadonlyArray<Queue<R>>
  readonly internals: I
  /** The guard's adaptive resources, each with the span attribute of its limit (`limiter.Db.limit`). */
  readonly adaptive: ReadonlyArray<readonly [attribute: string, capacity: AdaptiveCapacity<R>]>
}

/**
 * Sorts a guard's resources into `limiter`'s canonical order and finds
 * their semaphores (`semaphoreOf`) and queues. Throws, naming `api`, when a
 * resource is not listed in the limiter or is another definition of one,
 * and when `internals` is missing (the service was not built by the line's
 * `Limiter.layer`). The guard's own checks (`checkGuard`) made sure
 * `partition` exists wherever there are partitions.
 */
export const planFor = <L extends RankedLimiter<Res>, Res extends GuardedResource, R, S extends HandOff<R>, I>(
  limiter: L,
  resources: ReadonlyArray<Res>,
  partition: string | undefined,
  semaphoreOf: (resource: Res) => S,
  internals: I | undefined,
  api: string,
  messages: PlanMessages<Res>
): Plan<L, Res, R, S, I> => {
  for (const resource of resources) {
    const rank = limiter.rankOf(resource)
    if (rank === undefined) {
      throw new Error(
        `${api}: resource "${resource.name}" is not listed in Limiter.layer({ resources }), ` +
          "so it has no place in the acquisition order"
      )
    }
    if (!sameDefinition(limiter.resources[rank], resource)) {
      throw new TypeError(`${api}: ${messages.twoDefinitions(resource)}`)
    }
  }
  const ordered = [...resources].sort((a, b) => limiter.rankOf(a)! - limiter.rankOf(b)!)
  const semaphores = ordered.map(semaphoreOf)
  const queues = semaphores.map((semaphore) =>
    semaphore.partitioned ? semaphore.queueNamed(partition!)! : semaphore.queues[0]
  )
  if (internals === undefined) {
    throw new Error(
      `${api}: the Limiter service in context was not built by Limiter.layer ` +
        `(or by a copy of ${messages.library} too different from this one)`
    )
  }
  const adaptive = semaphores.flatMap((semaphore, i) =>
    semaphore.observer instanceof AdaptiveCapacity
      ? [[`limiter.${ordered[i].name}.limit`, semaphore.observer as AdaptiveCapacity<R>] as const]
      : []
  )
  return { limiter, ordered, semaphores, queues, internals, adaptive }
}

/**
 * A guard's plans, one at a time: the plan is built when the guard first
 * meets a limiter, and again only when it meets another one (the limiter is
 * looked up in the context of each run, so one guard serves any limiter).
 */
export const planCache = <L, C, P extends { readonly limiter: L }>(
  build: (limiter: L, context: C) => P
): (limiter: L, context: C) => P => {
  let plan: P | undefined
  return (limiter, context) => {
    if (plan === undefined || plan.limiter !== limiter) plan = build(limiter, context)
    return plan
  }
}

/**
 * The limit each of a plan's adaptive resources is at now, by span
 * attribute (`{ "limiter.Db.limit": 12 }`); `undefined` when the plan has
 * none, so that a guard over fixed capacities adds nothing to its span.
 */
export const currentLimits = <R>(
  adaptive: ReadonlyArray<readonly [attribute: string, capacity: AdaptiveCapacity<R>]>
): Record<string, number> | undefined => {
  if (adaptive.length === 0) return undefined
  const limits: Record<string, number> = {}
  for (const [attribute, capacity] of adaptive) limits[attribute] = capacity.current
  return limits
}
