/**
 * How a bad value is shown in an error, and the refusal as data and as the
 * error the `Limit` constructors throw.
 */
import { describe, expect, it } from "vitest"
import { check, invalid, InvalidOptionError, valid } from "../src/options/invalid.js"
import { orDefault } from "../src/options/orDefault.js"
import { renderValue, renderValueWith } from "../src/options/render.js"

describe("renderValue", () => {
  it("shows primitives as written", () => {
    expect(["a\"b", 1.5, NaN, -Infinity, 10n, true, null, undefined, Symbol("s")].map(renderValue))
      .toEqual(["\"a\\\"b\"", "1.5", "NaN", "-Infinity", "10n", "true", "null", "undefined", "Symbol(s)"])
  })

  it("shows arrays and plain objects by their entries, a cycle as [Circular]", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(renderValue([1, "x", [2]])).toBe("[1, \"x\", [2]]")
    expect(renderValue({})).toBe("{}")
    expect(renderValue(Object.assign(Object.create(null), { a: "b" }))).toBe("{ a: \"b\" }")
    expect(renderValue(cyclic)).toBe("{ a: 1, self: [Circular] }")
    // The same object twice is not a cycle.
    const shared = { n: 1 }
    expect(renderValue([shared, shared])).toBe("[{ n: 1 }, { n: 1 }]")
  })

  it("shows other objects by their String, or their tag when that throws", () => {
    expect(renderValue(new Date(0))).toBe(String(new Date(0)))
    const hostile = Object.create({ toString: () => { throw new Error("no") } })
    expect(renderValue(hostile)).toBe("[object Object]")
  })

  it("lets a line show its own values, anywhere in the value", () => {
    class Seconds {
      constructor(readonly n: number) {}
    }
    const render = renderValueWith((value) => value instanceof Seconds ? `${value.n}s` : undefined)
    expect(render(new Seconds(2))).toBe("2s")
    expect(render({ timeout: [new Seconds(3)] })).toBe("{ timeout: [3s] }")
    expect(renderValue(new Seconds(2))).toBe("[object Object]")
  })
})

describe("Invalid and InvalidOptionError", () => {
  it("keeps the raw value, and renders it in the message", () => {
    expect(valid(3)).toEqual({ ok: true, value: 3 })
    expect(invalid("f", 0, "a positive safe integer")).toEqual({ ok: false, invalid: { field: "f", value: 0, expected: "a positive safe integer" } })
    let error: unknown
    try {
      check("Limit.fixed.limit", "7", false, "a positive safe integer")
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).invalid.value).toBe("7")
    expect((error as Error).message).toBe("Invalid Limiter option Limit.fixed.limit: expected a positive safe integer, got \"7\"")
    expect(() => check("f", 1, true, "anything")).not.toThrow()
  })

  it("takes only undefined as absent", () => {
    expect([orDefault(undefined, 1), orDefault(null, 1), orDefault(0, 1)]).toEqual([1, null, 0])
  })
})
