/**
 * The limited HTTP client's options checked as a whole — its resources and
 * partition, its rate, its retry policy, how long an unread body keeps its
 * permits — from the field checks of `options/httpClient`, `options/rate`
 * and `options/retry`, defaults filled in. Each Effect line reads the
 * durations into its own `Duration` (`DurationReader`) and renders a
 * refusal as its `LimiterConfigError`.
 */
import { finiteDurationExpected } from "../options/duration.js"
import {
  checkClientPartition,
  checkClientResources,
  checkOptionsObject,
  unreadBodyTimeoutDefault
} from "../options/httpClient.js"
import { type Checked, invalid, type Invalid, valid } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { checkRateAlgorithm, checkRateLimit, checkRateObject, type RateAlgorithm } from "../options/rate.js"
import {
  checkNonIdempotent,
  checkRetryObject,
  checkRetryStatuses,
  checkRetryTimes,
  retryDefaults
} from "../options/retry.js"

/** How a line reads a duration option into its own `Duration` type `D`. */
export interface DurationReader<D> {
  /** A non-negative duration, or the refusal. */
  readonly read: (field: string, value: unknown) => Checked<D>
  /** Its length in millis (`Infinity` for an infinite one). */
  readonly toMillis: (duration: D) => number
}

/** What the checks need of a resource. */
export interface ClientResource {
  readonly key: string
  readonly name: string
  readonly partitions: Readonly<Record<string, number>> | undefined
}

/** One upstream's options once checked: every duration read, every default filled in. */
export interface ValidOptions<D, R> {
  readonly resources: ReadonlyArray<R>
  readonly timeout: D | undefined
  readonly partition: string | undefined
  readonly rate: ValidRate<D> | undefined
  readonly retry: ValidRetry<D> | undefined
  readonly unreadBodyTimeout: D
}

/** A rate once checked. */
export interface ValidRate<D> {
  readonly limit: number
  readonly interval: D
  readonly algorithm: RateAlgorithm
}

/** A retry policy once checked. */
export interface ValidRetry<D> {
  readonly times: number
  readonly statuses: ReadonlySet<number>
  readonly backoff: D
  readonly maxDelay: D
  readonly nonIdempotent: boolean
}

/** Thrown inside `checkOptions` so that it reads top to bottom; answered as a `Checked`. */
class Refused {
  constructor(readonly invalid: Invalid) {}
}

const take = <A>(checked: Checked<A>): A => {
  if (!checked.ok) throw new Refused(checked.invalid)
  return checked.value
}

/** A finite duration, positive or not: a rate's interval and a backoff must be more than zero; a cap may be zero. */
const finiteDuration = <D>(durations: DurationReader<D>, field: string, value: unknown, positive: boolean): D => {
  const refused = () => take(invalid(field, value, finiteDurationExpected(positive)))
  const read = durations.read(field, value)
  if (!read.ok) return refused()
  const millis = durations.toMillis(read.value)
  return Number.isFinite(millis) && (!positive || millis > 0) ? read.value : refused()
}

const checkRate = <D>(durations: DurationReader<D>, field: string, given: unknown): ValidRate<D> => {
  const rate = take(checkRateObject(field, given))
  const algorithm = take(checkRateAlgorithm(`${field}.algorithm`, rate.algorithm))
  return {
    limit: take(checkRateLimit(`${field}.limit`, rate.limit)),
    interval: finiteDuration(durations, `${field}.interval`, rate.interval, true),
    algorithm
  }
}

const checkRetry = <D>(durations: DurationReader<D>, field: string, given: unknown): ValidRetry<D> => {
  const retry = take(checkRetryObject(field, given))
  const times = take(checkRetryTimes(`${field}.times`, retry.times))
  const statuses = take(checkRetryStatuses(`${field}.statuses`, retry.statuses))
  const nonIdempotent = take(checkNonIdempotent(`${field}.nonIdempotent`, retry.nonIdempotent))
  return {
    times,
    statuses,
    backoff: finiteDuration(durations, `${field}.backoff`, orDefault(retry.backoff, retryDefaults.backoff), true),
    maxDelay: finiteDuration(durations, `${field}.maxDelay`, orDefault(retry.maxDelay, retryDefaults.maxDelay), false),
    nonIdempotent
  }
}

/**
 * Checks one upstream's options. `prefix` places the fields in the
 * caller's options object, e.g. `hosts["api.example.com"].` for a keyed
 * client (`hostPrefix`); `isListed` says whether a value is a resource the
 * limiter in context lists.
 */
export const checkOptions = <D, R extends ClientResource>(
  prefix: string,
  given: unknown,
  env: { readonly durations: DurationReader<D>; readonly isListed: (u: unknown) => u is R }
): Checked<ValidOptions<D, R>> => {
  const { durations } = env
  try {
    const options = take(checkOptionsObject(prefix, given))
    const resources = take(checkClientResources(`${prefix}resources`, options.resources, env.isListed))
    return valid({
      resources,
      timeout: options.timeout === undefined ? undefined : take(durations.read(`${prefix}timeout`, options.timeout)),
      partition: take(checkClientPartition(`${prefix}partition`, resources, options.partition)),
      rate: options.rate === undefined ? undefined : checkRate(durations, `${prefix}rate`, options.rate),
      retry: options.retry === undefined ? undefined : checkRetry(durations, `${prefix}retry`, options.retry),
      unreadBodyTimeout: finiteDuration(
        durations,
        `${prefix}unreadBodyTimeout`,
        orDefault(options.unreadBodyTimeout, unreadBodyTimeoutDefault),
        false
      )
    })
  } catch (error) {
    if (error instanceof Refused) return { ok: false, invalid: error.invalid }
    throw error
  }
}

/** The field prefix of a keyed client's host: `hosts["api.example.com"].`. */
export const hostPrefix = (host: string): string => `hosts[${JSON.stringify(host)}].`
