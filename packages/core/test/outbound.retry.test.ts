/**
 * The limited client's retry delays as data: backoff, jitter, cap,
 * `Retry-After` and the retry budget, in millis.
 */
import { describe, expect, it } from "vitest"
import { backoffMillis, retryDelayMillis, retryTiming } from "../src/outbound/retryDelay.js"

const timing = { times: 4, backoffMillis: 1000, maxDelayMillis: 3000 }
const answer = (retries: number, random: number, retryAfter?: string) => ({ retries, random, retryAfter, now: 0 })

describe("backoffMillis", () => {
  it("doubles from the backoff, jittered ×0.8 to ×1.2, capped at maxDelay", () => {
    expect(backoffMillis(timing, 0, 0)).toBe(800)
    expect(backoffMillis(timing, 0, 0.5)).toBe(1000)
    expect(backoffMillis(timing, 1, 1)).toBeCloseTo(2400)
    expect(backoffMillis(timing, 2, 0)).toBe(3000)
    expect(backoffMillis(timing, 3, 0.5)).toBe(3000)
  })
})

describe("retryDelayMillis", () => {
  it("the backoff when there is no Retry-After, up to `times` retries", () => {
    expect(retryDelayMillis(timing, answer(0, 0.5))).toBe(1000)
    expect(retryDelayMillis(timing, answer(3, 0.5))).toBe(3000)
    expect(retryDelayMillis(timing, answer(4, 0.5))).toBeUndefined()
    expect(retryDelayMillis({ ...timing, times: 0 }, answer(0, 0.5))).toBeUndefined()
  })

  it("a valid Retry-After replaces the backoff, capped at maxDelay; a malformed one does not", () => {
    expect(retryDelayMillis(timing, answer(0, 0.5, "2"))).toBe(2000)
    expect(retryDelayMillis(timing, answer(2, 0, "0"))).toBe(0)
    expect(retryDelayMillis(timing, answer(0, 0.5, "60"))).toBe(3000)
    expect(retryDelayMillis(timing, answer(0, 0.5, "soon"))).toBe(1000)
  })

  it("an HTTP-date Retry-After is measured from now", () => {
    const now = Date.parse("Sun, 06 Nov 1994 08:49:37 GMT")
    const retryAfter = "Sun, 06 Nov 1994 08:49:39 GMT"
    expect(retryDelayMillis(timing, { retries: 0, random: 0.5, retryAfter, now })).toBe(2000)
  })

  it("a spent budget is spent whatever the Retry-After", () => {
    expect(retryDelayMillis(timing, answer(4, 0.5, "1"))).toBeUndefined()
  })
})

describe("retryTiming", () => {
  it("reads a policy's durations with the line's toMillis", () => {
    const policy = { times: 2, backoff: "1s", maxDelay: "5s" }
    expect(retryTiming(policy, (d) => Number(d.slice(0, -1)) * 1000)).toEqual({
      times: 2,
      backoffMillis: 1000,
      maxDelayMillis: 5000
    })
  })
})
