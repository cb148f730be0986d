/**
 * The error of a `Limiter` layer built from bad options.
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import * as Schema from "effect/Schema"

/**
 * Raised while building `Limiter.layer`, before any request is served, when
 * an option is out of range: a capacity that is not a positive safe integer,
 * a negative or malformed timeout, an empty resource list, a resource or a
 * name listed twice. It names the option and the value it got.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
 *
 * const Db = Resource.make("Db", { capacity: 0 })
 *
 * const program = Effect.log("serving").pipe(
 *   Effect.provide(Limiter.layer({ timeout: "2 seconds", resources: [Db] })),
 *   // Logs: Invalid Limiter option resources[0].capacity (resource "Db"): expected a positive safe integer, got 0
 *   Effect.catchTag("LimiterConfigError", (error) => Effect.logError(error.message))
 * )
 * ```
 *
 * @since 0.6.0
 * @category errors
 */
export class LimiterConfigError extends Schema.TaggedError<LimiterConfigError>(
  "effect-concurrency-limiter/LimiterConfigError"
)("LimiterConfigError", {
  /** The option, as a path into the options object, e.g. `resources[1].capacity`. */
  field: Schema.String,
  /** The offending value, rendered for humans. */
  value: Schema.String,
  /** What the option accepts. */
  expected: Schema.String
}) {
  /** @since 0.6.0 */
  override get message(): string {
    return `Invalid Limiter option ${this.field}: expected ${this.expected}, got ${this.value}`
  }
}
