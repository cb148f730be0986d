/**
 * The checks of the limited HTTP client's options (`LimitedHttpClient`):
 * its resources and partition, its rate, its retry policy, how long an
 * unread body keeps its permits, and a keyed client's host names. Each
 * Effect line reads durations into its own `Duration` (`DurationReader`)
 * and renders the refusals as its `LimiterConfigError`.
 */
import { finiteDurationExpected } from "../options/duration.js"
import { type Checked, invalid, type Invalid, valid } from "../options/invalid.js"
import { orDefault } from "../options/orDefault.js"
import { renderValue } from "../options/render.js"

/**
 * How long a response body nobody has started to read keeps its permits:
 * long enough for any caller that reads what it asked for, short enough
 * that a caller that only looks at the status does not hold capacity.
 */
export const unreadBodyTimeoutDefault = "1 second"

/** The retry policy's defaults. */
export const retryDefaults = {
  times: 3,
  statuses: [429, 503],
  backoff: "200 millis",
  maxDelay: "30 seconds"
} as const

/** The rate algorithms; the first is the default. */
export type Algorithm = "token-bucket" | "fixed-window"

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
  readonly algorithm: Algorithm
}

/** A retry policy once checked. */
export interface ValidRetry<D> {
  readonly times: number
  readonly statuses: ReadonlySet<number>
  readonly backoff: D
  readonly maxDelay: D
  readonly nonIdempotent: boolean
}

/** Thrown inside the checks so that they read top to bottom; `checkOptions` answers it as a `Checked`. */
class Refused {
  constructor(readonly invalid: Invalid) {}
}

const refuse = (field: string, value: unknown, expected: string): never => {
  throw new Refused({ field, value, expected })
}

const positiveInteger = (field: string, value: unknown): number =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : refuse(field, value, "a positive safe integer")

const finiteDuration = <D>(durations: DurationReader<D>, field: string, value: unknown, positive: boolean): D => {
  const read = durations.read(field, value)
  if (!read.ok) return refuse(field, value, finiteDurationExpected(positive))
  const millis = durations.toMillis(read.value)
  return Number.isFinite(millis) && (!positive || millis > 0) ? read.value : refuse(field, value, finiteDurationExpected(positive))
}

const checkResources = <R extends ClientResource>(
  field: string,
  resources: unknown,
  isListed: (u: unknown) => u is R
): ReadonlyArray<R> => {
  if (!Array.isArray(resources) || resources.length === 0) refuse(field, resources, "a non-empty list of resources")
  const list = resources as ReadonlyArray<unknown>
  const seen = new Map<string, number>()
  // An index loop, not `forEach`: a hole in a sparse list is an entry too.
  for (let i = 0; i < list.length; i++) {
    const resource = list[i]
    if (!isListed(resource)) {
      const name = (resource as { readonly name?: unknown } | undefined)?.name
      return refuse(`${field}[${i}]`, name ?? resource, "a resource listed in Limiter.layer({ resources })")
    }
    const listed = seen.get(resource.key)
    if (listed !== undefined) refuse(`${field}[${i}]`, resource.name, `a resource not already listed (${field}[${listed}])`)
    seen.set(resource.key, i)
  }
  return list as ReadonlyArray<R>
}

/**
 * The partition a client's requests belong to: required when one of its
 * resources is partitioned, and then one that each partitioned resource has.
 */
const checkPartition = (field: string, resources: ReadonlyArray<ClientResource>, partition: unknown): string | undefined => {
  const partitioned = resources.filter((resource) => resource.partitions !== undefined)
  if (partitioned.length === 0) {
    if (partition !== undefined) refuse(field, partition, "nothing: none of the resources is partitioned")
    return undefined
  }
  for (const resource of partitioned) {
    const names = Object.keys(resource.partitions!)
    if (typeof partition !== "string" || !names.includes(partition)) {
      refuse(field, partition, `a partition of resource "${resource.name}" (${names.map(renderValue).join(", ")})`)
    }
  }
  return partition as string
}

const checkRate = <D>(durations: DurationReader<D>, field: string, rate: unknown): ValidRate<D> => {
  if (typeof rate !== "object" || rate === null) refuse(field, rate, "{ limit, interval, algorithm? }")
  const { algorithm: given, interval, limit } = rate as Record<string, unknown>
  const algorithm = orDefault(given, "token-bucket")
  if (algorithm !== "token-bucket" && algorithm !== "fixed-window") {
    refuse(`${field}.algorithm`, algorithm, "\"token-bucket\" or \"fixed-window\"")
  }
  return {
    limit: positiveInteger(`${field}.limit`, limit),
    interval: finiteDuration(durations, `${field}.interval`, interval, true),
    algorithm: algorithm as Algorithm
  }
}

const checkRetry = <D>(durations: DurationReader<D>, field: string, retry: unknown): ValidRetry<D> => {
  if (typeof retry !== "object" || retry === null) {
    refuse(field, retry, "{ times?, statuses?, backoff?, maxDelay?, nonIdempotent? }")
  }
  const options = retry as Record<string, unknown>
  const times = orDefault(options.times, retryDefaults.times)
  if (typeof times !== "number" || !Number.isSafeInteger(times) || times < 0) {
    refuse(`${field}.times`, times, "a non-negative safe integer")
  }
  const statuses = orDefault(options.statuses, retryDefaults.statuses)
  if (!Array.isArray(statuses) || statuses.length === 0) {
    refuse(`${field}.statuses`, statuses, "a non-empty list of HTTP error statuses (400-599)")
  }
  const list = statuses as ReadonlyArray<unknown>
  for (let i = 0; i < list.length; i++) {
    const status = list[i]
    if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
      refuse(`${field}.statuses[${i}]`, status, "an HTTP error status (400-599)")
    }
  }
  const nonIdempotent = orDefault(options.nonIdempotent, false)
  if (typeof nonIdempotent !== "boolean") refuse(`${field}.nonIdempotent`, nonIdempotent, "a boolean")
  return {
    times: times as number,
    statuses: new Set(list as ReadonlyArray<number>),
    backoff: finiteDuration(durations, `${field}.backoff`, orDefault(options.backoff, retryDefaults.backoff), true),
    maxDelay: finiteDuration(durations, `${field}.maxDelay`, orDefault(options.maxDelay, retryDefaults.maxDelay), false),
    nonIdempotent: nonIdempotent as boolean
  }
}

/**
 * Checks one upstream's options. `prefix` places the fields in the
 * caller's options object, e.g. `hosts["api.example.com"].` for a keyed
 * client; `isListed` says whether a value is a resource the limiter in
 * context lists.
 */
export const checkOptions = <D, R extends ClientResource>(
  prefix: string,
  options: unknown,
  env: { readonly durations: DurationReader<D>; readonly isListed: (u: unknown) => u is R }
): Checked<ValidOptions<D, R>> => {
  try {
    if (typeof options !== "object" || options === null) refuse(prefix || "options", options, "an options object")
    const given = options as Record<string, unknown>
    const { durations } = env
    const resources = checkResources(`${prefix}resources`, given.resources, env.isListed)
    let timeout: D | undefined = undefined
    if (given.timeout !== undefined) {
      const read = durations.read(`${prefix}timeout`, given.timeout)
      if (!read.ok) return read
      timeout = read.value
    }
    return valid({
      resources,
      timeout,
      partition: checkPartition(`${prefix}partition`, resources, given.partition),
      rate: given.rate === undefined ? undefined : checkRate(durations, `${prefix}rate`, given.rate),
      retry: given.retry === undefined ? undefined : checkRetry(durations, `${prefix}retry`, given.retry),
      unreadBodyTimeout: finiteDuration(
        durations,
        `${prefix}unreadBodyTimeout`,
        orDefault(given.unreadBodyTimeout, unreadBodyTimeoutDefault),
        false
      )
    })
  } catch (error) {
    if (error instanceof Refused) return { ok: false, invalid: error.invalid }
    throw error
  }
}

/**
 * A keyed client's host key as `URL.host` spells it: lower case, a port
 * only when it is not the scheme's default. Anything else (a scheme, a
 * path, upper case) would never match a request, silently leaving that API
 * unlimited.
 */
export const checkHost = (host: string): Checked<string> => {
  let parsed: string | undefined
  try {
    const url = new URL(`http://${host}`)
    parsed = url.pathname === "/" && url.search === "" && url.username === "" ? url.host : undefined
  } catch {
    parsed = undefined
  }
  return parsed === host && host.length > 0
    ? valid(host)
    : invalid("hosts", host, "a host as in a URL, lower case, such as \"api.example.com\" or \"127.0.0.1:8080\"")
}

/** The field prefix of a keyed client's host: `hosts["api.example.com"].`. */
export const hostPrefix = (host: string): string => `hosts[${JSON.stringify(host)}].`
