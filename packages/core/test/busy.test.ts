import { message, reasons } from "../src/busy/reason.js"
import { Refusals } from "../src/busy/refusals.js"
import * as Busy from "../src/busy/response.js"
import { assert, describe, it } from "vitest"

describe("busy/response", () => {
  it("the body is JSON of the detail, byte for byte the Python library's", () => {
    assert.strictEqual(Busy.responseBody, "{\"detail\":\"Server busy, please retry later\"}")
    assert.strictEqual(Busy.responseBody, JSON.stringify({ detail: Busy.detail }))
    assert.strictEqual(Busy.status, 503)
    assert.strictEqual(Busy.contentType, "application/json")
  })

  it("Retry-After: the wait rounded up, at least 1", () => {
    assert.deepStrictEqual([0, 0.001, 1, 1.001, 1.5, 30].map(Busy.retryAfterSeconds), [1, 1, 1, 2, 2, 30])
  })
})

describe("busy/reason", () => {
  it("a message per reason; only a timeout says how long it waited", () => {
    assert.deepStrictEqual(reasons.map((reason) => message("Db", reason, "1s 500ms")), [
      "Resource \"Db\" is busy: no permit within 1s 500ms",
      "Resource \"Db\" is busy: its queue is full",
      "Resource \"Db\" is busy: the limiter's Redis is unreachable",
      "Resource \"Db\" is busy: its permit's lease in Redis was lost"
    ])
  })
})

describe("busy/refusals", () => {
  /** Waits in milliseconds; a refusal records what it was made of. */
  const refusals = (maxEntries?: number) => {
    const made: Array<string> = []
    const cache = new Refusals<number, Error>({
      make: (resource, reason, waited) => {
        made.push(`${resource}/${reason}/${waited}`)
        return new Error(`${resource} ${reason} ${waited}`)
      },
      toMillis: (waited) => waited,
      zero: 0,
      maxEntries
    })
    return { cache, made }
  }

  it("makes one refusal per resource, reason and wait, and reuses it", () => {
    const { cache, made } = refusals()
    const a = cache.get("Db", "timeout", 300)
    assert.strictEqual(cache.get("Db", "timeout", 300), a)
    cache.get("Db", "timeout", 400)
    cache.get("Cache", "timeout", 300)
    // Only a timeout waited: the others are made with zero, whatever the timeout.
    const full = cache.get("Db", "queue-full", 300)
    assert.strictEqual(cache.get("Db", "queue-full", 900), full)
    assert.deepStrictEqual(made, ["Db/timeout/300", "Db/timeout/400", "Cache/timeout/300", "Db/queue-full/0"])
    assert.strictEqual(cache.size, 4)
  })

  it("captures no stack trace, and restores the limit", () => {
    const { cache } = refusals()
    const limit = Error.stackTraceLimit
    assert.notInclude(cache.get("Db", "timeout", 1).stack ?? "", "\n    at ")
    assert.include(new Error("with a stack").stack ?? "", "\n    at ")
    assert.strictEqual(Error.stackTraceLimit, limit)
  })

  it("keeps at most maxEntries, the oldest making room", () => {
    const { cache, made } = refusals(2)
    cache.get("Db", "timeout", 1)
    cache.get("Db", "timeout", 2)
    cache.get("Db", "timeout", 3)
    assert.strictEqual(cache.size, 2)
    cache.get("Db", "timeout", 2)
    cache.get("Db", "timeout", 1)
    assert.deepStrictEqual(made, ["Db/timeout/1", "Db/timeout/2", "Db/timeout/3", "Db/timeout/1"])
  })

  it("restores the stack trace limit when making a refusal throws", () => {
    const limit = Error.stackTraceLimit
    const cache = new Refusals<number, Error>({
      make: () => {
        throw new Error("cannot")
      },
      toMillis: (waited) => waited,
      zero: 0
    })
    assert.throws(() => cache.get("Db", "timeout", 1), "cannot")
    assert.strictEqual(Error.stackTraceLimit, limit)
    assert.strictEqual(cache.size, 0)
  })
})
