/**
 * The checks of a `RedisLimiter` layer's own options, before anything
 * connects: what its resources may ask for (no partitions, FIFO order), the
 * failure mode, the replica count, the key prefix, and durations a Node
 * timer can keep.
 */
import { type Checked, invalid, valid } from "../options/invalid.js"
import { resourceField } from "../options/resources.js"
import { MAX_TIMER_MILLIS } from "./remote.js"

/** What a guard does while Redis is unreachable: refuse (`"closed"`) or admit the local share (`"open"`). */
export type Failure = "closed" | "open"

/** What a Redis layer supports of a resource's definition. */
export interface ResourceShape {
  readonly name: string
  readonly partitions?: unknown
  readonly order: string
}

/** Resources Redis can hold: none partitioned, all FIFO (the Redis queue is). */
export const checkRemoteResources = (resources: ReadonlyArray<ResourceShape>): Checked<void> => {
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i]
    if (resource.partitions !== undefined) {
      return invalid(resourceField(resources, i, "partitions"), resource.partitions, "none: RedisLimiter has no partitions yet")
    }
    if (resource.order !== "fifo") {
      return invalid(resourceField(resources, i, "order"), resource.order, "\"fifo\": the Redis queue is FIFO")
    }
  }
  return valid(undefined)
}

/** `failure`: `"closed"` or `"open"`. */
export const checkFailure = (value: unknown): Checked<Failure> =>
  value === "closed" || value === "open" ? valid(value) : invalid("failure", value, "\"closed\" or \"open\"")

/** `replicas`: a positive safe integer. */
export const checkReplicas = (value: unknown): Checked<number> =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 1 ? valid(value) : invalid("replicas", value, "a positive safe integer")

/** `prefix`: part of every key, outside the hash tag: no braces, no spaces. */
export const checkPrefix = (value: unknown): Checked<string> =>
  typeof value === "string" && value.length > 0 && !/[{}\s]/.test(value)
    ? valid(value)
    : invalid("prefix", value, "a non-empty string without braces or spaces")

/**
 * A duration option (`value` as given, `millis` as read) that must be at
 * least `min` ms, and short enough for a Node timer (the heartbeat's, the
 * command timeout's): a longer one fires at once.
 */
export const checkTimerMillis = (name: string, value: unknown, millis: number, min: number): Checked<number> =>
  millis >= min && millis <= MAX_TIMER_MILLIS
    ? valid(millis)
    : invalid(name, value, `a duration of at least ${min} millis and at most ${MAX_TIMER_MILLIS} millis (24.8 days)`)
