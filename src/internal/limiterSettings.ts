/**
 * The limiter's options as they are read and checked: at the layer's
 * construction, again by `Limiter.reload`, and for a capacity set while
 * serving. Every check answers a `LimiterConfigError` that names the option
 * and its value.
 *
 * @internal
 */
import { checkNewCapacity as coreCheckNewCapacity } from "@effect-concurrency-limiter/core/limiter/capacity"
import type * as core from "@effect-concurrency-limiter/core/limiter/reload"
import { initialLimitThrew } from "@effect-concurrency-limiter/core/options/adaptive"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Duration from "effect/Duration"
import type * as Limiter from "../Limiter.js"
import * as Limit from "../Limit.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import type * as Resource from "../Resource.js"
import {
  fromChecked,
  fromEither,
  orDefault,
  renderValue,
  resolveUnknown,
  resourceField,
  validateBoolean,
  validateCapacity,
  validateMaxWaiting,
  validateTimeout
} from "./options.js"
import { toConfigError } from "./invalidOption.js"

export type ResourceSettings = core.ResourceSettings

/** The options `Limiter.reload` reads again, read and checked (the core's, with this line's `Duration`). */
export type Settings = core.Settings<Duration.Duration>

/**
 * Reads every option that may come from `Config`, and checks them all, so
 * that a reload applies all of them or none.
 */
export const readSettings = Effect.fnUntraced(function*(
  options: Limiter.Options<ReadonlyArray<Resource.Resource.Any>>
) {
  const resources: ReadonlyArray<Resource.Resource.Any> = options.resources
  const timeout = yield* fromEither(validateTimeout("timeout", yield* resolveUnknown(options.timeout)))
  const enabled = yield* fromEither(validateBoolean("enabled", yield* resolveUnknown(orDefault(options.enabled, true))))
  const settings: Array<ResourceSettings> = []
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i]
    // An adaptive resource starts at its algorithm's initial limit.
    const configured = Limit.isLimit(resource.capacity)
      ? yield* initialLimit(resources, i, resource.capacity)
      : yield* resolveUnknown(resource.capacity)
    const capacity = yield* fromEither(validateCapacity(resourceField(resources, i, "capacity"), configured))
    const maxWaiting = yield* fromEither(
      validateMaxWaiting(resourceField(resources, i, "maxWaiting"), yield* resolveUnknown(orDefault(resource.maxWaiting, Infinity)))
    )
    settings.push({ capacity, maxWaiting })
  }
  return { timeout, enabled, resources: settings } satisfies Settings
})

/** The limit an adaptive resource starts at; a `Limit` whose `limitOf` throws fails the layer, naming it. */
const initialLimit = (
  resources: ReadonlyArray<Resource.Resource.Any>,
  i: number,
  limit: Limit.Limit<any>
): Effect.Effect<unknown, LimiterConfigError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(limit.limitOf(limit.initial))
    } catch (error) {
      return Effect.fail(toConfigError(initialLimitThrew(resourceField(resources, i, "capacity"), limit.name, error, renderValue)))
    }
  })


/**
 * Checks a capacity set while serving (`setCapacity`, or `resize` on the
 * resource's semaphore): the core's check, as this line's verdict.
 */
export const checkNewCapacity = (
  resources: ReadonlyArray<Resource.Resource.Any>,
  i: number,
  capacity: number
): Either.Either<number, LimiterConfigError> => fromChecked(coreCheckNewCapacity(resources, i, capacity))
