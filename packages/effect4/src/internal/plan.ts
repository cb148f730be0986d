/**
 * What a guard resolves once per limiter (its plan: the resources in
 * canonical order, their semaphores and partitions), what the limiter keeps
 * off its public service for its guards (its internals), and the checks of
 * a guard's options when it is defined.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import type * as Resource from "../Resource.js"
import { AdaptiveCapacity } from "./adaptive.js"
import type { BusyErrors } from "./busyErrors.js"
import type { Deadlines } from "./deadlines.js"
import { checkGuard, sameDefinition, twoDefinitions } from "./guardChecks.js"
import { validateTimeout } from "./options.js"
import { type Queue, type SemaphoreImpl, unsafeImpl } from "./semaphore.js"

/**
 * A limiter whose permits are held outside this process (Redis): its guards
 * hand their whole acquisition, and the holding, to it.
 *
 * @internal
 */
export interface RemoteBackend {
  readonly guard: <A, E, R>(
    self: Effect.Effect<A, E, R>,
    ordered: ReadonlyArray<Resource.Resource.Any>,
    timeout: Duration.Duration
  ) => Effect.Effect<A, E | BusyError, R>
}

/**
 * What each limiter keeps off its public service: its deadline timer, and
 * its refusals. They travel on the service itself, under a symbol that names
 * their layout, so that a guard finds them wherever the service came from.
 */
export interface Internals {
  /** `undefined` for a remote limiter, whose waits are not timed here. */
  readonly deadlines: Deadlines | undefined
  readonly remote?: RemoteBackend | undefined
  /**
   * One `BusyError` per resource, reason and timeout, reused for every
   * refusal, even by guards made inside a handler (a new guard per request).
   */
  readonly busyErrors: BusyErrors
}

const InternalsId: unique symbol = Symbol.for("effect-concurrency-limiter/effect4/Limiter/internals/1") as any

export const internalsOf = (service: Limiter.Service): Internals | undefined =>
  (service as Limiter.Service & { readonly [InternalsId]?: Internals })[InternalsId]

/** Makes `internals` travel on `service`, out of sight of its users. @internal */
export const attachInternals = (service: Limiter.Service, internals: Internals): void => {
  Object.defineProperty(service, InternalsId, { value: internals, enumerable: false })
}

/**
 * Makes `service` a limiter that `Limiter.withResources` and
 * `Limiter.acquire` guard through `backend` (for `RedisLimiter.layer`).
 *
 * @internal
 */
export const registerRemote = (service: Limiter.Service, backend: RemoteBackend, busyErrors: BusyErrors): void =>
  attachInternals(service, { deadlines: undefined, busyErrors, remote: backend })

/**
 * What a guard resolves once per limiter: its resources in canonical order,
 * their semaphores and the queue (partition) it waits in on each, the
 * limiter's internals.
 *
 * @internal
 */
export interface Plan {
  readonly limiter: Limiter.Service
  readonly ordered: ReadonlyArray<Resource.Resource.Any>
  readonly semaphores: ReadonlyArray<SemaphoreImpl>
  readonly queues: ReadonlyArray<Queue>
  readonly internals: Internals
  /** The guard's adaptive resources, whose limit each call records on its span. */
  readonly adaptive: ReadonlyArray<readonly [attribute: string, capacity: AdaptiveCapacity]>
}

/**
 * Sorts a guard's resources into the limiter's canonical order, so that no
 * two guards can deadlock, and finds their semaphores.
 *
 * @internal
 */
export const planFor = (
  limiter: Limiter.Service,
  resources: ReadonlyArray<Resource.Resource.Any>,
  partition: string | undefined,
  context: Context.Context<unknown>,
  api = "Limiter.withResources"
): Plan => {
  for (const resource of resources) {
    const rank = limiter.rankOf(resource)
    if (rank === undefined) {
      throw new Error(
        `${api}: resource "${resource.name}" is not listed in Limiter.layer({ resources }), ` +
          "so it has no place in the acquisition order"
      )
    }
    if (!sameDefinition(limiter.resources[rank], resource)) throw new TypeError(`${api}: ${twoDefinitions(resource)}`)
  }
  const ordered = [...resources].sort((a, b) => limiter.rankOf(a)! - limiter.rankOf(b)!)
  const semaphores = ordered.map((resource) => unsafeImpl(Context.getUnsafe(context, resource)))
  // `checkGuard` made sure the partition exists wherever there are partitions.
  const queues = semaphores.map((semaphore) =>
    semaphore.partitioned ? semaphore.queueNamed(partition!)! : semaphore.queues[0]
  )
  const internals = internalsOf(limiter)
  if (internals === undefined) {
    throw new Error(
      `${api}: the Limiter service in context was not built by Limiter.layer ` +
        "(or by a copy of @effect-concurrency-limiter/effect4 too different from this one)"
    )
  }
  const adaptive = semaphores.flatMap((semaphore, i) =>
    semaphore.observer instanceof AdaptiveCapacity
      ? [[`limiter.${ordered[i].name}.limit`, semaphore.observer] as const]
      : []
  )
  return { limiter, ordered, semaphores, queues, internals, adaptive }
}

/**
 * Checks a guard's (or a scoped acquisition's) options once, when it is
 * defined, so that a bad guard stops the app at start-up rather than
 * failing requests.
 *
 * @internal
 */
export const checkOptions = (
  resources: Limiter.NonEmptyResources,
  options: Limiter.WithResourcesOptions | undefined,
  api: string
): { readonly partition: string | undefined; readonly timeoutOption: Duration.Duration | undefined } => {
  const partition = options?.partition
  checkGuard(resources, partition, api)
  if (options?.timeout === undefined) return { partition, timeoutOption: undefined }
  const timeout = validateTimeout("timeout", options.timeout)
  if (Result.isFailure(timeout)) throw new TypeError(`${api}: ${timeout.failure.message}`)
  return { partition, timeoutOption: timeout.success }
}

/**
 * The guard a plan resolves to, once per limiter; the limiter is looked up
 * in the context of each run, so one guard serves any limiter it meets.
 *
 * @internal
 */
export const planCache = (
  resources: Limiter.NonEmptyResources,
  partition: string | undefined,
  api: string
): (limiter: Limiter.Service, context: Context.Context<unknown>) => Plan => {
  let plan: Plan | undefined
  return (limiter, context) => {
    if (plan === undefined || plan.limiter !== limiter) plan = planFor(limiter, resources, partition, context, api)
    return plan
  }
}

