/**
 * What a guard resolves once per limiter (its plan: the resources in
 * canonical order, their semaphores and partitions), what the limiter keeps
 * off its public service for its guards (its internals), and the checks of
 * a guard's options when it is defined.
 *
 * @internal
 */
import { hiddenField } from "@effect-concurrency-limiter/core/limiter/hidden"
import * as core from "@effect-concurrency-limiter/core/limiter/plan"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { BusyError } from "../BusyError.js"
import type * as Limiter from "../Limiter.js"
import type * as Resource from "../Resource.js"
import type { BusyErrors } from "./busyErrors.js"
import type { Deadlines } from "./deadlines.js"
import { checkGuard, twoDefinitions } from "./guardChecks.js"
import { validateTimeout } from "./options.js"
import { type Outcome, type SemaphoreImpl, unsafeImpl } from "./semaphore.js"

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

const internals = hiddenField<Limiter.Service, Internals>("effect-concurrency-limiter/effect4/Limiter/internals/1")

/** The internals `service` carries, if a limiter layer of this line built it. @internal */
export const internalsOf = internals.get

/** Makes `internals` travel on `service`, out of sight of its users. @internal */
export const attachInternals = internals.attach

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
 * limiter's internals, its adaptive resources (the core's `Plan`).
 *
 * @internal
 */
export type Plan = core.Plan<Limiter.Service, Resource.Resource.Any, Outcome, SemaphoreImpl, Internals>

const messages: core.PlanMessages<Resource.Resource.Any> = {
  library: "@effect-concurrency-limiter/effect4",
  twoDefinitions
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
): Plan =>
  core.planFor(
    limiter,
    resources,
    partition,
    (resource) => unsafeImpl(Context.getUnsafe(context, resource)),
    internalsOf(limiter),
    api,
    messages
  )

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
): (limiter: Limiter.Service, context: Context.Context<unknown>) => Plan =>
  core.planCache((limiter, context) => planFor(limiter, resources, partition, context, api))

