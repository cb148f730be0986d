import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { expect } from "vitest"
import { LimiterConfigError } from "../src/LimiterConfigError.js"

it.effect("scratch", () => Effect.gen(function*() {
  const e = new LimiterConfigError({ field: "f", value: "1", expected: "x" })
  expect(e.message).toBe("Invalid Limiter option f: expected x, got 1")
  expect(e._tag).toBe("LimiterConfigError")
  const r = yield* Effect.flip(Effect.fail(e))
  expect(r).toBe(e)
  console.log(String(e))
}))
