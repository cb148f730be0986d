/**
 * A limited response's body lifetime as data: which of read-to-the-end,
 * the unread timer and the scope's closing comes first. The lines' own
 * tests drive it through their `Scope`s and fibers.
 */
import { describe, expect, it } from "vitest"
import { BodyLifetime } from "../src/outbound/bodyLifetime.js"

const started = () => {
  const lifetime = new BodyLifetime()
  const stops: Array<string> = []
  lifetime.timerStarted(() => stops.push("stop"))
  return { lifetime, stops }
}

describe("BodyLifetime", () => {
  it("the first read claims the permits and stops the timer; a second read holds nothing", () => {
    const { lifetime, stops } = started()
    expect(lifetime.claim()).toBe(true)
    expect(lifetime.state).toBe("reading")
    expect(stops).toEqual(["stop"])
    expect(lifetime.claim()).toBe(false)
    expect(stops).toEqual(["stop"])
  })

  it("the timer firing on an unread body gives the permits back; a later read holds nothing", () => {
    const { lifetime } = started()
    expect(lifetime.expire()).toBe(true)
    expect(lifetime.state).toBe("released")
    expect(lifetime.claim()).toBe(false)
  })

  it("the timer firing while a read holds the permits changes nothing", () => {
    const { lifetime } = started()
    lifetime.claim()
    expect(lifetime.expire()).toBe(false)
    expect(lifetime.state).toBe("reading")
  })

  it("the scope closing stops the timer: neither a read nor the timer releases again", () => {
    const { lifetime, stops } = started()
    lifetime.released()
    expect(stops).toEqual(["stop"])
    expect(lifetime.expire()).toBe(false)
    expect(lifetime.claim()).toBe(false)
  })

  it("a timer that fired before it was registered: the release still stops it", () => {
    const lifetime = new BodyLifetime()
    expect(lifetime.expire()).toBe(true)
    const stops: Array<string> = []
    lifetime.timerStarted(() => stops.push("stop"))
    lifetime.released()
    expect(stops).toEqual(["stop"])
  })
})
