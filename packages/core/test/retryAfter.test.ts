/**
 * `Retry-After` parsing in millis: the two forms of RFC 9110 (delay-seconds,
 * and the three HTTP-date forms), capped at the max, and `undefined` for
 * anything else.
 */
import { describe, expect, it } from "vitest"
import { parseRetryAfterMillis } from "../src/retryAfter.js"

const now = Date.UTC(2026, 10, 25, 12, 0, 0)
const parse = (value: string | undefined, maxMillis = 3_600_000) => parseRetryAfterMillis(value, { now, maxMillis })

describe("parseRetryAfterMillis", () => {
  it("reads delay-seconds, spaces around allowed", () => {
    expect([parse("120"), parse(" 7 "), parse("0")]).toEqual([120_000, 7_000, 0])
  })

  it("reads the three HTTP-date forms, from now; a date past is no wait", () => {
    expect(parse("Tue, 25 Nov 2026 12:00:30 GMT")).toBe(30_000)
    expect(parse("Tuesday, 25-Nov-26 12:01:00 GMT")).toBe(60_000)
    // asctime carries no zone: GMT, not the machine's local time.
    expect(parse("Tue Nov 25 12:00:10 2026")).toBe(10_000)
    expect(parse("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(0)
  })

  it("caps at maxMillis, also a run of digits too long for a double", () => {
    expect(parse("86400", 30_000)).toBe(30_000)
    expect(parse("9".repeat(400), 30_000)).toBe(30_000)
    expect(parse("Fri, 01 Jan 2100 00:00:00 GMT", 30_000)).toBe(30_000)
    expect(parse("9".repeat(400), Infinity)).toBe(Infinity)
    expect(parse("5", 0)).toBe(0)
  })

  it("answers undefined when absent or malformed", () => {
    for (const value of [undefined, "", "  ", "-5", "1.5", "+3", "1e3", "soon", "2026-11-25T12:00:00Z", "12abc", "25 Nov 2026", "Tue, 32 Nov 2026 12:00:00 GMT"]) {
      expect(parse(value), JSON.stringify(value)).toBeUndefined()
    }
  })
})
