/**
 * The checks of a limited HTTP client's options: the options object, its
 * resources and partition, a keyed client's hosts, the rate and the retry
 * policy, with the exact texts of their refusals.
 */
import { describe, expect, it } from "vitest"
import { checkClientPartition, checkClientResources, checkHost, checkOptionsObject } from "../src/options/httpClient.js"
import { checkRateAlgorithm, checkRateLimit, checkRateObject } from "../src/options/rate.js"
import { checkNonIdempotent, checkRetryObject, checkRetryStatuses, checkRetryTimes } from "../src/options/retry.js"

type R = { readonly key: string; readonly name: string; readonly partitions: Record<string, number> | undefined }
const Db: R = { key: "Db", name: "Db", partitions: undefined }
const Api: R = { key: "Api", name: "Api", partitions: { interactive: 0.8, batch: 0.2 } }
const Other: R = { key: "Other", name: "Other", partitions: undefined }
const listed = (u: unknown): u is R => u === Db || u === Api
const refusal = (checked: { readonly ok: boolean; readonly invalid?: unknown }) => checked.ok ? undefined : checked.invalid

describe("a client's options", () => {
  it("are an object", () => {
    expect(refusal(checkOptionsObject("", null))).toEqual({ field: "options", value: null, expected: "an options object" })
    expect(refusal(checkOptionsObject("hosts[\"a\"].", 1))).toMatchObject({ field: "hosts[\"a\"]." })
  })

  it("list resources the limiter has, once each", () => {
    expect(checkClientResources("resources", [Db, Api], listed)).toEqual({ ok: true, value: [Db, Api] })
    expect(refusal(checkClientResources("resources", [], listed))).toMatchObject({ expected: "a non-empty list of resources" })
    expect(refusal(checkClientResources("resources", [Db, Other], listed)))
      .toEqual({ field: "resources[1]", value: "Other", expected: "a resource listed in Limiter.layer({ resources })" })
    expect(refusal(checkClientResources("resources", [7], listed))).toMatchObject({ field: "resources[0]", value: 7 })
    expect(refusal(checkClientResources("resources", [Db, Db], listed)))
      .toEqual({ field: "resources[1]", value: "Db", expected: "a resource not already listed (resources[0])" })
  })

  it("name a partition exactly when a resource is partitioned", () => {
    expect(checkClientPartition("partition", [Db], undefined)).toEqual({ ok: true, value: undefined })
    expect(checkClientPartition("partition", [Db, Api], "batch")).toEqual({ ok: true, value: "batch" })
    expect(refusal(checkClientPartition("partition", [Db], "batch")))
      .toEqual({ field: "partition", value: "batch", expected: "nothing: none of the resources is partitioned" })
    expect(refusal(checkClientPartition("partition", [Api], undefined)))
      .toEqual({ field: "partition", value: undefined, expected: "a partition of resource \"Api\" (\"interactive\", \"batch\")" })
  })

  it("key hosts as URL.host spells them", () => {
    for (const host of ["api.example.com", "127.0.0.1:8080", "[::1]:8080"]) expect(checkHost(host)).toEqual({ ok: true, value: host })
    for (const host of ["", "API.example.com", "https://api.example.com", "api.example.com/v1", "api.example.com:80", "u@api.example.com"]) {
      expect(refusal(checkHost(host)), host).toEqual({
        field: "hosts",
        value: host,
        expected: "a host as in a URL, lower case, such as \"api.example.com\" or \"127.0.0.1:8080\""
      })
    }
  })
})

describe("a client's rate", () => {
  it("is { limit, interval, algorithm? }, the algorithm token-bucket by default", () => {
    expect(refusal(checkRateObject("rate", 5))).toEqual({ field: "rate", value: 5, expected: "{ limit, interval, algorithm? }" })
    expect(refusal(checkRateLimit("rate.limit", 0))).toEqual({ field: "rate.limit", value: 0, expected: "a positive safe integer" })
    expect(checkRateAlgorithm("rate.algorithm", undefined)).toEqual({ ok: true, value: "token-bucket" })
    expect(refusal(checkRateAlgorithm("rate.algorithm", "leaky")))
      .toEqual({ field: "rate.algorithm", value: "leaky", expected: "\"token-bucket\" or \"fixed-window\"" })
  })
})

describe("a client's retry policy", () => {
  it("defaults to 3 times, on 429 and 503, idempotent requests only", () => {
    expect(checkRetryTimes("retry.times", undefined)).toEqual({ ok: true, value: 3 })
    expect(checkRetryStatuses("retry.statuses", undefined)).toEqual({ ok: true, value: new Set([429, 503]) })
    expect(checkNonIdempotent("retry.nonIdempotent", undefined)).toEqual({ ok: true, value: false })
  })

  it("refuses what it cannot use", () => {
    expect(refusal(checkRetryObject("retry", null)))
      .toEqual({ field: "retry", value: null, expected: "{ times?, statuses?, backoff?, maxDelay?, nonIdempotent? }" })
    expect(refusal(checkRetryTimes("retry.times", -1))).toEqual({ field: "retry.times", value: -1, expected: "a non-negative safe integer" })
    expect(refusal(checkRetryStatuses("retry.statuses", [])))
      .toEqual({ field: "retry.statuses", value: [], expected: "a non-empty list of HTTP error statuses (400-599)" })
    expect(refusal(checkRetryStatuses("retry.statuses", [503, 302])))
      .toEqual({ field: "retry.statuses[1]", value: 302, expected: "an HTTP error status (400-599)" })
    expect(refusal(checkNonIdempotent("retry.nonIdempotent", "yes")))
      .toEqual({ field: "retry.nonIdempotent", value: "yes", expected: "a boolean" })
  })
})
