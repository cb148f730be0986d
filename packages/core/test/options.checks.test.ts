/**
 * The checks of a resource's options and of durations given as data: what
 * each accepts, and the exact texts of its refusals (the Effect lines'
 * errors show them as they are).
 */
import { describe, expect, it } from "vitest"
import { capacityFollowsLimit, initialLimitThrew } from "../src/options/adaptive.js"
import { checkDurationInput, durationExpected, finiteDurationExpected } from "../src/options/duration.js"
import { checkPartitions } from "../src/options/partitions.js"
import { checkBoolean, checkName } from "../src/options/primitives.js"
import { checkCapacity, checkMaxWaiting, checkOrder } from "../src/options/resource.js"

const refusal = (checked: { readonly ok: boolean; readonly invalid?: unknown }) => checked.ok ? undefined : checked.invalid

describe("a resource's options", () => {
  it("capacity: a positive safe integer", () => {
    expect(checkCapacity("c", 5)).toEqual({ ok: true, value: 5 })
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 53, "5", null]) {
      expect(refusal(checkCapacity("c", bad))).toEqual({ field: "c", value: bad, expected: "a positive safe integer" })
    }
  })

  it("maxWaiting: a non-negative safe integer, or Infinity", () => {
    expect([checkMaxWaiting("m", 0), checkMaxWaiting("m", Infinity)].map((c) => c.ok)).toEqual([true, true])
    expect(refusal(checkMaxWaiting("m", -1))).toEqual({
      field: "m",
      value: -1,
      expected: "a non-negative safe integer (0: never queue), or Infinity for no bound"
    })
  })

  it("order: fifo or lifo", () => {
    expect(checkOrder("o", "lifo")).toEqual({ ok: true, value: "lifo" })
    expect(refusal(checkOrder("o", "LIFO"))).toEqual({ field: "o", value: "LIFO", expected: "\"fifo\" or \"lifo\"" })
  })

  it("partitions: named shares in (0, 1], adding up to at most 1", () => {
    expect(checkPartitions("p", { a: 0.1, b: 0.2, c: 0.7 })).toEqual({ ok: true, value: [["a", 0.1], ["b", 0.2], ["c", 0.7]] })
    expect(refusal(checkPartitions("p", []))).toMatchObject({ field: "p", expected: "an object of partition names to shares, e.g. { interactive: 0.8, batch: 0.2 }" })
    expect(refusal(checkPartitions("p", {}))).toMatchObject({ field: "p", expected: "at least one partition" })
    expect(refusal(checkPartitions("p", { "": 0.5 }))).toEqual({ field: "p[\"\"]", value: 0.5, expected: "a non-empty partition name" })
    expect(refusal(checkPartitions("p", { a: 0 }))).toEqual({ field: "p.a", value: 0, expected: "a share in (0, 1]" })
    expect(refusal(checkPartitions("p", { a: 0.6, b: 0.5 }))).toMatchObject({ field: "p", expected: "shares adding up to at most 1 (these add up to 1.1)" })
  })

  it("switches and names", () => {
    expect(refusal(checkBoolean("enabled", "false"))).toEqual({ field: "enabled", value: "false", expected: "a boolean" })
    expect(checkName("name", "api")).toEqual({ ok: true, value: "api" })
    expect(refusal(checkName("name", ""))).toEqual({ field: "name", value: "", expected: "a non-empty string" })
  })

  it("an adaptive capacity's refusals name its Limit", () => {
    expect(initialLimitThrew("c", "auto", new Error("boom"))).toEqual({
      field: "c",
      value: "Limit.auto",
      expected: "a Limit whose limitOf(initial) answers a positive integer (it threw: \"boom\")"
    })
    expect(initialLimitThrew("c", "auto", 42, () => "forty-two").expected).toContain("(it threw: forty-two)")
    expect(capacityFollowsLimit("c", "vegas")).toEqual({
      field: "c",
      value: "Limit.vegas",
      expected: "a resource whose capacity is a number or a Config: this one's follows its Limit"
    })
  })
})

describe("checkDurationInput", () => {
  it("takes millis, nanos, [seconds, nanos] and text, non-negative", () => {
    expect(checkDurationInput("t", 2000)).toEqual({ ok: true, value: { _tag: "Millis", millis: 2000 } })
    expect(checkDurationInput("t", Infinity)).toEqual({ ok: true, value: { _tag: "Millis", millis: Infinity } })
    expect(checkDurationInput("t", 5n)).toEqual({ ok: true, value: { _tag: "Nanos", nanos: 5n } })
    expect(checkDurationInput("t", [1, 500])).toEqual({ ok: true, value: { _tag: "Hrtime", seconds: 1, nanos: 500 } })
    expect(checkDurationInput("t", " 2 seconds ")).toEqual({ ok: true, value: { _tag: "Text", amount: "2", unit: "seconds" } })
    // The digits as written, even past a double's range.
    expect(checkDurationInput("t", `${"9".repeat(400)} millis`)).toMatchObject({ ok: true, value: { amount: "9".repeat(400) } })
  })

  it("refuses negatives, NaN, holes, unknown units and other types, saying what it accepts", () => {
    // eslint-disable-next-line no-sparse-arrays
    for (const bad of [-1, NaN, -1n, [1], [-1, 0], [, 0], "-5 seconds", "2 fortnights", "2seconds", "soon", "1e3 millis", {}, null]) {
      expect(refusal(checkDurationInput("t", bad)), String(bad)).toEqual({ field: "t", value: bad, expected: durationExpected })
    }
    expect(durationExpected).toBe("a non-negative duration, such as \"2 seconds\" or 2000 (millis)")
    expect(finiteDurationExpected(true)).toBe("a positive finite duration, such as \"1 second\" or 1000 (millis)")
    expect(finiteDurationExpected(false)).toBe("a non-negative finite duration, such as \"30 seconds\" or 30000 (millis)")
  })
})
