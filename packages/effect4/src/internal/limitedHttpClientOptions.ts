/**
 * The limited client's option checks (the core's, in
 * `@effect-concurrency-limiter/core/outbound/options` over the field checks
 * of `core/options/{httpClient,rate,retry}`, shared with the
 * Effect 3 line) with this line's `Duration`s, `Result`s and
 * `LimiterConfigError`.
 *
 * @internal
 */
import { durationExpected } from "@effect-concurrency-limiter/core/options/duration"
import { invalid, valid } from "@effect-concurrency-limiter/core/options/invalid"
import { checkHost } from "@effect-concurrency-limiter/core/options/httpClient"
import * as core from "@effect-concurrency-limiter/core/outbound/options"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import type * as LimitedHttpClient from "../LimitedHttpClientOptions.js"
import type * as Limiter from "../Limiter.js"
import type { LimiterConfigError } from "../LimiterConfigError.js"
import * as Resource from "../Resource.js"
import { fromChecked, validateTimeout } from "./options.js"

/** A host's options once checked: every duration decoded, every default filled in. */
export interface ValidOptions extends core.ValidOptions<Duration.Duration, Resource.Resource.Any> {
  readonly resources: Limiter.NonEmptyResources
}

/** @internal */
export type ValidRetry = core.ValidRetry<Duration.Duration>

/** Durations as this line reads them: a `Duration`, or a non-negative duration as data. */
const durations: core.DurationReader<Duration.Duration> = {
  read: (field, value) => {
    const read = validateTimeout(field, value)
    return Result.isSuccess(read) ? valid(read.success) : invalid(field, value, durationExpected)
  },
  toMillis: Duration.toMillis
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
): Result.Result<ValidOptions, LimiterConfigError> =>
  fromChecked(
    core.checkOptions(prefix, options, {
      durations,
      isListed: (u): u is Resource.Resource.Any => Resource.isResource(u) && limiter.rankOf(u) !== undefined
    })
  ) as Result.Result<ValidOptions, LimiterConfigError>

/**
 * A host key as `URL.host` spells it (see the core's `checkHost`).
 *
 * @internal
 */
export const validateHost = (host: string): Result.Result<string, LimiterConfigError> => fromChecked(checkHost(host))
