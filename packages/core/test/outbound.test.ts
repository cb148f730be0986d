/**
 * The limited client's options checked as a whole (the field checks are
 * options.http.test.ts's) and its exchange decisions, as data: both Effect
 * lines read their durations into their own `Duration` and render the
 * refusals as their `LimiterConfigError`; here durations are millis.
 */
import { describe, expect, it } from "vitest"
import { checkDurationInput } from "../src/options/duration.js"
import { invalid, valid } from "../src/options/invalid.js"
import { hasNoBody, hostOf, isFailureStatus, isIdempotent, mayRetry, retriesStatus } from "../src/outbound/exchange.js"
import { checkOptions, type ClientResource, type DurationReader, hostPrefix } from "../src/outbound/options.js"

const UNITS: Record<string, number> = { millis: 1, second: 1000, seconds: 1000, minute: 60_000 }

/** Millis, or "N unit" for the few units used here: a line's reader, in miniature. */
const millis: DurationReader<number> = {
  read: (field, value) => {
    const checked = checkDurationInput(field, value)
    if (!checked.ok) return checked
    const input = checked.value
    if (input._tag === "Millis") return valid(input.millis)
    if (input._tag === "Text" && input.unit in UNITS) return valid(Number(input.amount) * UNITS[input.unit]!)
    return invalid(field, value, "millis here")
  },
  toMillis: (n) => n
}

const resource = (name: string, partitions?: Record<string, number>): ClientResource => ({ key: name, name, partitions })
const Api = resource("Api")
const Search = resource("Search", { interactive: 0.75, batch: 0.25 })
const Unlisted = resource("Unlisted")
const listed = new Set<unknown>([Api, Search])
const isListed = (u: unknown): u is ClientResource => listed.has(u)

const check = (options: unknown, prefix = "") => checkOptions(prefix, options, { durations: millis, isListed })

const refusal = (options: unknown, prefix = "") => {
  const checked = check(options, prefix)
  if (checked.ok) throw new Error("expected a refusal")
  return checked.invalid
}

describe("checkOptions", () => {
  it("fills in the defaults", () => {
    expect(check({ resources: [Api], retry: {} })).toEqual(valid({
      resources: [Api],
      timeout: undefined,
      partition: undefined,
      rate: undefined,
      retry: { times: 3, statuses: new Set([429, 503]), backoff: 200, maxDelay: 30_000, nonIdempotent: false },
      unreadBodyTimeout: 1000
    }))
    expect(check({ resources: [Api], rate: { limit: 10, interval: 100 } })).toMatchObject({
      ok: true,
      value: { rate: { limit: 10, interval: 100, algorithm: "token-bucket" } }
    })
  })

  it("names the field, keeps the raw value, says what it expects", () => {
    expect(refusal({ resources: [] })).toEqual({ field: "resources", value: [], expected: "a non-empty list of resources" })
    expect(refusal({ resources: [Unlisted] })).toEqual({
      field: "resources[0]",
      value: "Unlisted",
      expected: "a resource listed in Limiter.layer({ resources })"
    })
    expect(refusal({ resources: [Api, Search, Api] })).toMatchObject({ field: "resources[2]", value: "Api" })
    expect(refusal({ resources: [Api], timeout: -1 })).toMatchObject({ field: "timeout", value: -1 })
    expect(refusal({ resources: [Api], rate: { limit: 1.5, interval: 100 } })).toMatchObject({ field: "rate.limit", value: 1.5 })
    expect(refusal({ resources: [Api], rate: { limit: 1, interval: 0 } })).toEqual({
      field: "rate.interval",
      value: 0,
      expected: "a positive finite duration, such as \"1 second\" or 1000 (millis)"
    })
    expect(refusal({ resources: [Api], rate: { limit: 1, interval: Infinity } })).toMatchObject({ field: "rate.interval" })
    expect(refusal({ resources: [Api], rate: { limit: 1, interval: 1, algorithm: "leaky" } })).toMatchObject({
      field: "rate.algorithm"
    })
    expect(refusal({ resources: [Api], retry: { times: -1 } })).toMatchObject({ field: "retry.times" })
    expect(refusal({ resources: [Api], retry: { statuses: [429, 200] } })).toMatchObject({ field: "retry.statuses[1]", value: 200 })
    expect(refusal({ resources: [Api], retry: { maxDelay: -5 } })).toMatchObject({
      field: "retry.maxDelay",
      expected: "a non-negative finite duration, such as \"30 seconds\" or 30000 (millis)"
    })
    expect(refusal({ resources: [Api], retry: { nonIdempotent: "yes" } })).toMatchObject({ field: "retry.nonIdempotent" })
    expect(refusal({ resources: [Api], unreadBodyTimeout: "-1 seconds" })).toMatchObject({ field: "unreadBodyTimeout" })
    expect(refusal(null)).toMatchObject({ field: "options", expected: "an options object" })
  })

  it("a maxDelay and an unread-body timeout of zero are allowed; a backoff of zero is not", () => {
    expect(check({ resources: [Api], retry: { maxDelay: 0 }, unreadBodyTimeout: 0 }).ok).toBe(true)
    expect(refusal({ resources: [Api], retry: { backoff: 0 } })).toMatchObject({ field: "retry.backoff" })
  })

  it("partitions: required on a partitioned resource, one it has, and only then", () => {
    expect(refusal({ resources: [Search] })).toEqual({
      field: "partition",
      value: undefined,
      expected: "a partition of resource \"Search\" (\"interactive\", \"batch\")"
    })
    expect(refusal({ resources: [Api], partition: "batch" })).toMatchObject({
      expected: "nothing: none of the resources is partitioned"
    })
    expect(check({ resources: [Api, Search], partition: "batch" })).toMatchObject({ ok: true, value: { partition: "batch" } })
  })

  it("a keyed client's fields are placed under the host", () => {
    expect(refusal({ resources: [Api], retry: { times: -2 } }, hostPrefix("api.test"))).toMatchObject({
      field: "hosts[\"api.test\"].retry.times"
    })
  })
})

describe("the exchange", () => {
  it("idempotent methods (RFC 9110 §9.2.2)", () => {
    expect(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"].every(isIdempotent)).toBe(true)
    expect(["POST", "PATCH"].some(isIdempotent)).toBe(false)
  })

  it("nothing to read: HEAD, 204, 304, content-length 0", () => {
    expect(hasNoBody("HEAD", 200, "12")).toBe(true)
    expect(hasNoBody("GET", 204, undefined)).toBe(true)
    expect(hasNoBody("GET", 304, undefined)).toBe(true)
    expect(hasNoBody("GET", 200, "0")).toBe(true)
    expect(hasNoBody("GET", 200, undefined)).toBe(false)
  })

  it("a 429 or a 5xx is a failure to learn from; any other answer a success", () => {
    expect([429, 500, 503, 599].every(isFailureStatus)).toBe(true)
    expect([200, 301, 400, 404, 428].some(isFailureStatus)).toBe(false)
  })

  it("retries: the policy's statuses, idempotent methods unless told otherwise", () => {
    const retry = { statuses: new Set([429, 503]), nonIdempotent: false }
    expect(mayRetry(undefined, "GET")).toBe(false)
    expect(mayRetry(retry, "GET")).toBe(true)
    expect(mayRetry(retry, "POST")).toBe(false)
    expect(mayRetry({ ...retry, nonIdempotent: true }, "POST")).toBe(true)
    expect([retriesStatus(retry, 429), retriesStatus(retry, 500)]).toEqual([true, false])
  })

  it("the host of a URL as URL.host spells it; none for a URL that does not parse", () => {
    expect(hostOf("https://API.Example.com:443/x")).toBe("api.example.com")
    expect(hostOf("http://127.0.0.1:8080/")).toBe("127.0.0.1:8080")
    expect(hostOf("/relative")).toBeUndefined()
  })
})
