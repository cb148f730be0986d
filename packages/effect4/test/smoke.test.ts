import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { expect } from "vitest"

it.effect("smoke", () => Effect.sync(() => expect(1).toBe(1)))
