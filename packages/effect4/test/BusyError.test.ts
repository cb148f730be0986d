import { BusyError } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpServerRespondable from "effect/http/HttpServerRespondable"
import * as Schema from "effect/Schema"
import { BusyErrors } from "../src/internal/busyErrors.js"

const make = (waited: Duration.Duration, reason?: BusyError.Reason) =>
  new BusyError.BusyError({ resource: "Db", waited, reason })

describe("BusyError", () => {
  it("has the Effect 3 line's fields, with reason \"timeout\" unless told", () => {
    const error = make(Duration.millis(300))
    assert.strictEqual(error._tag, "BusyError")
    assert.strictEqual(error.resource, "Db")
    assert.isTrue(Duration.equals(error.waited, Duration.millis(300)))
    assert.strictEqual(error.reason, "timeout")
    assert.strictEqual(make(Duration.zero, "lease-lost").reason, "lease-lost")
    assert.instanceOf(error, Error)
  })

  it("says why, in the Effect 3 line's words", () => {
    assert.strictEqual(make(Duration.millis(1_500)).message, "Resource \"Db\" is busy: no permit within 1s 500ms")
    assert.strictEqual(make(Duration.zero, "queue-full").message, "Resource \"Db\" is busy: its queue is full")
    assert.strictEqual(
      make(Duration.zero, "unavailable").message,
      "Resource \"Db\" is busy: the limiter's Redis is unreachable"
    )
    assert.strictEqual(
      make(Duration.zero, "lease-lost").message,
      "Resource \"Db\" is busy: its permit's lease in Redis was lost"
    )
  })

  it("Retry-After: the wait rounded up to whole seconds, at least 1", () => {
    const cases: ReadonlyArray<[Duration.Duration, number]> = [
      [Duration.zero, 1],
      [Duration.millis(1), 1],
      [Duration.seconds(1), 1],
      [Duration.millis(1_001), 2],
      [Duration.millis(1_500), 2],
      [Duration.seconds(30), 30]
    ]
    for (const [waited, seconds] of cases) assert.strictEqual(make(waited).retryAfterSeconds, seconds)
  })

  it.effect("is a yieldable error, caught by its tag", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.gen(function*() {
        return yield* make(Duration.seconds(1))
      }))
      assert.isTrue(Exit.isFailure(exit))
      const caught = yield* Effect.fail(make(Duration.seconds(1), "queue-full")).pipe(
        Effect.catchTag("BusyError", (error) => Effect.succeed(error.reason))
      )
      assert.strictEqual(caught, "queue-full")
    }))

  it.effect("renders itself: 503, the body, application/json and Retry-After", () =>
    Effect.gen(function*() {
      const response = yield* HttpServerRespondable.toResponse(make(Duration.millis(2_500)))
      assert.strictEqual(response.status, 503)
      assert.strictEqual(response.headers["content-type"], "application/json")
      assert.strictEqual(response.headers["retry-after"], "3")
      assert.strictEqual(response.body._tag, "Uint8Array")
      if (response.body._tag !== "Uint8Array") return
      assert.strictEqual(new TextDecoder().decode(response.body.body), BusyError.responseBody)
    }))
})

describe("BusyError as a schema", () => {
  it("the class is a schema, the one of HttpApiError", () => {
    assert.isTrue(Schema.isSchema(BusyError.BusyError))
    assert.strictEqual(BusyError.BusyError.ast, BusyError.HttpApiError.ast)
  })

  it("encodes to the 503 body and its Retry-After header", () => {
    const encode = Schema.encodeUnknownSync(BusyError.BusyError)
    assert.deepStrictEqual(encode(make(Duration.millis(1_500))), {
      body: { detail: BusyError.detail },
      headers: { "retry-after": "2" }
    })
    assert.deepStrictEqual(Schema.encodeUnknownSync(BusyError.HttpApiError)(make(Duration.zero, "queue-full")), {
      body: { detail: BusyError.detail },
      headers: { "retry-after": "1" }
    })
    assert.throws(() => encode(new Error("not busy")))
  })

  it("decodes the body as a BusyError of an unnamed resource", () => {
    const error = Schema.decodeUnknownSync(BusyError.BusyError)({
      body: JSON.parse(BusyError.responseBody),
      headers: { "retry-after": "2" }
    })
    assert.instanceOf(error, BusyError.BusyError)
    assert.strictEqual(error.resource, "(remote)")
    assert.isTrue(Duration.isZero(error.waited))
    assert.throws(() =>
      Schema.decodeUnknownSync(BusyError.BusyError)({ body: { detail: "other" }, headers: { "retry-after": "2" } })
    )
  })

  it("make checks that it is given a BusyError", () => {
    const error = make(Duration.zero)
    assert.strictEqual(BusyError.BusyError.make(error), error)
    assert.isTrue(BusyError.BusyError.makeOption(error)._tag === "Some")
    assert.isTrue(BusyError.BusyError.makeOption(new Error("x") as never)._tag === "None")
  })
})

describe("BusyErrors", () => {
  it("one refusal per resource, reason and wait, reused, without a stack trace", () => {
    const errors = new BusyErrors()
    const timeout = errors.get("Db", "timeout", Duration.millis(300))
    assert.strictEqual(errors.get("Db", "timeout", Duration.millis(300)), timeout)
    assert.isTrue(Duration.equals(timeout.waited, Duration.millis(300)))
    assert.notInclude(timeout.stack ?? "", "\n    at ")
    // Only a timeout waited: the others refuse at once, whatever the timeout.
    const full = errors.get("Db", "queue-full", Duration.seconds(3))
    assert.isTrue(Duration.isZero(full.waited))
    assert.strictEqual(errors.get("Db", "queue-full", Duration.seconds(9)), full)
    assert.notStrictEqual(errors.get("Cache", "timeout", Duration.millis(300)), timeout)
    assert.strictEqual(errors.size, 3)
  })

  it("keeps at most maxEntries, the oldest making room", () => {
    const errors = new BusyErrors(2)
    const first = errors.get("Db", "timeout", Duration.millis(1))
    errors.get("Db", "timeout", Duration.millis(2))
    errors.get("Db", "timeout", Duration.millis(3))
    assert.strictEqual(errors.size, 2)
    assert.notStrictEqual(errors.get("Db", "timeout", Duration.millis(1)), first)
  })
})
