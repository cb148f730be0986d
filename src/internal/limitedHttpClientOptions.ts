import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as Limiter from "../Limiter.js"
import type * as LimitedHttpClient from "../LimitedHttpClient.js"
import { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { orDefault, renderValue, validateTimeout } from "./options.js"

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

/**
 * How long a response body nobody has started to read keeps its permits:
 * long enough for any caller that reads what it asked for, short enough
 * that a caller that only looks at the status does not hold capacity.
 *
 * @internal
 */
export const unreadBodyTimeoutDefault = "1 second"

/** @internal */
export const retryDefaults = {
  times: 3,
  statuses: [429, 503],
  backoff: "200 millis",
  maxDelay: "30 seconds"
} as const

class Invalid {
  constructor(readonly error: LimiterConfigError) {}
}

/** Checks fail by throwing `Invalid`, so that a validator reads top to bottom; `validate` turns it into an Either. */
const fail = (field: string, value: unknown, expected: string): never => {
  throw new Invalid(new LimiterConfigError({ field, value: renderValue(value), expected }))
}

const check = <A>(either: Either.Either<A, LimiterConfigError>): A => {
  if (Either.isLeft(either)) throw new Invalid(either.left)
  return either.right
}

const positiveInteger = (field: string, value: unknown): number =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : fail(field, value, "a positive safe integer")

const finiteDuration = (field: string, value: unknown, positive: boolean): Duration.Duration => {
  const expected = positive
    ? "a positive finite duration, such as \"1 second\" or 1000 (millis)"
    : "a non-negative finite duration, such as \"30 seconds\" or 30000 (millis)"
  const duration = Either.getOrElse(validateTimeout(field, value), () => fail(field, value, expected))
  return Duration.isFinite(duration) && (!positive || Duration.greaterThan(duration, Duration.zero))
    ? duration
    : fail(field, value, expected)
}

const validateResources = (
  field: string,
  resources: unknown,
  limiter: Limiter.Service
): Limiter.NonEmptyResources => {
  if (!Array.isArray(resources) || resources.length === 0) fail(field, resources, "a non-empty list of resources")
  const list = resources as ReadonlyArray<Resource.Resource.Any>
  const seen = new Map<string, number>()
  // An index loop, not `forEach`: a hole in a sparse list is an entry too.
  for (let i = 0; i < list.length; i++) {
    const resource = list[i]
    const name = resource?.name
    if (!Resource.isResource(resource) || limiter.rankOf(resource) === undefined) {
      fail(`${field}[${i}]`, name ?? resource, "a resource listed in Limiter.layer({ resources })")
    }
    if (seen.has(resource.key)) fail(`${field}[${i}]`, name, `a resource not already listed (${field}[${seen.get(resource.key)}])`)
    seen.set(resource.key, i)
  }
  return list as unknown as Limiter.NonEmptyResources
}

const validateRate = (field: string, rate: LimitedHttpClient.RateOptions): ValidOptions["rate"] => {
  if (typeof rate !== "object" || rate === null) fail(field, rate, "{ limit, interval, algorithm? }")
  const algorithm = orDefault(rate.algorithm, "token-bucket")
  if (algorithm !== "token-bucket" && algorithm !== "fixed-window") {
    fail(`${field}.algorithm`, algorithm, "\"token-bucket\" or \"fixed-window\"")
  }
  return {
    limit: positiveInteger(`${field}.limit`, rate.limit),
    interval: finiteDuration(`${field}.interval`, rate.interval, true),
    algorithm
  }
}

const validateRetry = (field: string, retry: LimitedHttpClient.RetryOptions): ValidRetry => {
  if (typeof retry !== "object" || retry === null) fail(field, retry, "{ times?, statuses?, backoff?, maxDelay?, nonIdempotent? }")
  const times = orDefault(retry.times, retryDefaults.times)
  if (typeof times !== "number" || !Number.isSafeInteger(times) || times < 0) {
    fail(`${field}.times`, times, "a non-negative safe integer")
  }
  const statuses = orDefault(retry.statuses, retryDefaults.statuses)
  if (!Array.isArray(statuses) || statuses.length === 0) {
    fail(`${field}.statuses`, statuses, "a non-empty list of HTTP error statuses (400-599)")
  }
  for (let i = 0; i < statuses.length; i++) {
    const status = statuses[i]
    if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
      fail(`${field}.statuses[${i}]`, status, "an HTTP error status (400-599)")
    }
  }
  const nonIdempotent = orDefault(retry.nonIdempotent, false)
  if (typeof nonIdempotent !== "boolean") fail(`${field}.nonIdempotent`, nonIdempotent, "a boolean")
  return {
    times,
    statuses: new Set(statuses),
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
    if (typeof options !== "object" || options === null) fail(prefix || "options", options, "an options object")
    return Either.right({
      resources: validateResources(`${prefix}resources`, options.resources, limiter),
      timeout: options.timeout === undefined ? undefined : check(validateTimeout(`${prefix}timeout`, options.timeout)),
      partition: validatePartition(`${prefix}partition`, options.resources, options.partition),
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
 * The partition a client's requests belong to: required when one of its
 * resources is partitioned, and then one that each partitioned resource has.
 */
const validatePartition = (
  field: string,
  resources: ReadonlyArray<Resource.Resource.Any>,
  partition: unknown
): string | undefined => {
  const partitioned = resources.filter((resource) => resource.partitions !== undefined)
  if (partitioned.length === 0) {
    if (partition !== undefined) fail(field, partition, "nothing: none of the resources is partitioned")
    return undefined
  }
  for (const resource of partitioned) {
    const names = Object.keys(resource.partitions!)
    if (typeof partition !== "string" || !names.includes(partition)) {
      fail(field, partition, `a partition of resource "${resource.name}" (${names.map(renderValue).join(", ")})`)
    }
  }
  return partition as string
}

/**
 * A host key as `URL.host` spells it: lower case, a port only when it is
 * not the scheme's default. Anything else (a scheme, a path, upper case)
 * would never match a request, silently leaving that API unlimited.
 *
 * @internal
 */
export const validateHost = (host: string): Either.Either<string, LimiterConfigError> => {
  let parsed: string | undefined
  try {
    const url = new URL(`http://${host}`)
    parsed = url.pathname === "/" && url.search === "" && url.username === "" ? url.host : undefined
  } catch {
    parsed = undefined
  }
  return parsed === host && host.length > 0
    ? Either.right(host)
    : Either.left(
      new LimiterConfigError({
        field: "hosts",
        value: renderValue(host),
        expected: "a host as in a URL, lower case, such as \"api.example.com\" or \"127.0.0.1:8080\""
      })
    )
}
