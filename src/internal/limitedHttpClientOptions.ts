/**
 * A limited client's options, checked by the shared core's checks, with
 * the durations decoded into `Duration`s.
 *
 * @internal
 */
import { finiteDurationExpected } from "@effect-concurrency-limiter/core/options/duration"
import {
  checkClientPartition,
  checkClientResources,
  checkHost,
  checkOptionsObject,
  unreadBodyTimeoutDefault
} from "@effect-concurrency-limiter/core/options/httpClient"
import { type Checked, invalid } from "@effect-concurrency-limiter/core/options/invalid"
import { checkRateAlgorithm, checkRateLimit, checkRateObject } from "@effect-concurrency-limiter/core/options/rate"
import {
  checkNonIdempotent,
  checkRetryObject,
  checkRetryStatuses,
  checkRetryTimes,
  retryDefaults
} from "@effect-concurrency-limiter/core/options/retry"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as Limiter from "../Limiter.js"
import type * as LimitedHttpClient from "../LimitedHttpClient.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { toConfigError } from "./invalidOption.js"
import { fromChecked, orDefault, validateTimeout } from "./options.js"

/** A host's options once checked: every duration decoded, every default filled in. */
export interface ValidOptions {
  readonly resources: Limiter.NonEmptyResources
  readonly timeout: Duration.Duration | undefined
  readonly partition: string | undefined
  readonly rate: {
    readonly limit: number
    readonly interval: Duration.Duration
    readonly algorithm: "token-bucket" | "fixed-window"
  } | undefined
  readonly retry: ValidRetry | undefined
  readonly unreadBodyTimeout: Duration.Duration
}

/** @internal */
export interface ValidRetry {
  readonly times: number
  readonly statuses: ReadonlySet<number>
  readonly backoff: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly nonIdempotent: boolean
}

class Invalid {
  constructor(readonly error: LimiterConfigError) {}
}

/** Checks fail by throwing `Invalid`, so that a validator reads top to bottom; `validate` turns it into an Either. */
const take = <A>(checked: Checked<A>): A => {
  if (!checked.ok) throw new Invalid(toConfigError(checked.invalid))
  return checked.value
}

const check = <A>(either: Either.Either<A, LimiterConfigError>): A => {
  if (Either.isLeft(either)) throw new Invalid(either.left)
  return either.right
}

const finiteDuration = (field: string, value: unknown, positive: boolean): Duration.Duration => {
  const refused = () => take(invalid(field, value, finiteDurationExpected(positive)))
  const duration = Either.getOrElse(validateTimeout(field, value), refused)
  return Duration.isFinite(duration) && (!positive || Duration.greaterThan(duration, Duration.zero)) ? duration : refused()
}

/** A resource listed in the limiter's layer. */
const listedIn = (limiter: Limiter.Service) => (u: unknown): u is Resource.Resource.Any =>
  Resource.isResource(u) && limiter.rankOf(u) !== undefined

const validateRate = (field: string, given: LimitedHttpClient.RateOptions): ValidOptions["rate"] => {
  const rate = take(checkRateObject(field, given))
  const algorithm = take(checkRateAlgorithm(`${field}.algorithm`, rate.algorithm))
  return {
    limit: take(checkRateLimit(`${field}.limit`, rate.limit)),
    interval: finiteDuration(`${field}.interval`, rate.interval, true),
    algorithm
  }
}

const validateRetry = (field: string, given: LimitedHttpClient.RetryOptions): ValidRetry => {
  const retry = take(checkRetryObject(field, given))
  const times = take(checkRetryTimes(`${field}.times`, retry.times))
  const statuses = take(checkRetryStatuses(`${field}.statuses`, retry.statuses))
  const nonIdempotent = take(checkNonIdempotent(`${field}.nonIdempotent`, retry.nonIdempotent))
  return {
    times,
    statuses,
    backoff: finiteDuration(`${field}.backoff`, orDefault(retry.backoff, retryDefaults.backoff), true),
    maxDelay: finiteDuration(`${field}.maxDelay`, orDefault(retry.maxDelay, retryDefaults.maxDelay), false),
    nonIdempotent
  }
}

/**
 * Checks one host's options against the limiter that will enforce them.
 * `prefix` places the fields in the caller's options object, e.g.
 * `hosts["api.example.com"].` for a keyed client.
 *
 * @internal
 */
export const validateOptions = (
  prefix: string,
  options: LimitedHttpClient.Options<Limiter.NonEmptyResources>,
  limiter: Limiter.Service
): Either.Either<ValidOptions, LimiterConfigError> => {
  try {
    take(checkOptionsObject(prefix, options))
    const resources = take(checkClientResources(`${prefix}resources`, options.resources, listedIn(limiter)))
    return Either.right({
      resources: resources as unknown as Limiter.NonEmptyResources,
      timeout: options.timeout === undefined ? undefined : check(validateTimeout(`${prefix}timeout`, options.timeout)),
      partition: take(checkClientPartition(`${prefix}partition`, resources, options.partition)),
      rate: options.rate === undefined ? undefined : validateRate(`${prefix}rate`, options.rate),
      retry: options.retry === undefined ? undefined : validateRetry(`${prefix}retry`, options.retry),
      unreadBodyTimeout: finiteDuration(
        `${prefix}unreadBodyTimeout`,
        orDefault(options.unreadBodyTimeout, unreadBodyTimeoutDefault),
        false
      )
    })
  } catch (error) {
    if (error instanceof Invalid) return Either.left(error.error)
    throw error
  }
}

/**
 * A host key as `URL.host` spells it (see the core's `checkHost`).
 *
 * @internal
 */
export const validateHost = (host: string): Either.Either<string, LimiterConfigError> => fromChecked(checkHost(host))
