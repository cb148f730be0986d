import { checkFailure, checkPrefix, checkRemoteResources, checkReplicas, checkTimerMillis } from "../src/redis/options.js"
import { Replica } from "../src/redis/replica.js"
import { assert, describe, it } from "vitest"

describe("redis/options", () => {
  it("accepts the layer's options, and names the field, the value and what was expected otherwise", () => {
    assert.deepStrictEqual(checkFailure("open"), { ok: true, value: "open" })
    assert.deepStrictEqual(checkFailure("half"), { ok: false, invalid: { field: "failure", value: "half", expected: "\"closed\" or \"open\"" } })
    assert.deepStrictEqual([checkReplicas(3).ok, checkReplicas(0).ok, checkReplicas(1.5).ok, checkReplicas("2").ok], [true, false, false, false])
    assert.deepStrictEqual([checkPrefix("ecl").ok, checkPrefix("").ok, checkPrefix("a{b}").ok, checkPrefix("a b").ok], [true, false, false, false])
    assert.deepStrictEqual(checkTimerMillis("leaseTtl", "50 millis", 50, 100), {
      ok: false,
      invalid: { field: "leaseTtl", value: "50 millis", expected: "a duration of at least 100 millis and at most 2147483647 millis (24.8 days)" }
    })
    assert.deepStrictEqual(checkTimerMillis("commandTimeout", 2 ** 31 - 1, 2 ** 31 - 1, 1).ok, true)
    assert.deepStrictEqual(checkTimerMillis("commandTimeout", 2 ** 31, 2 ** 31, 1).ok, false)
  })

  it("refuses partitioned resources and orders other than FIFO, the first one found", () => {
    assert.isTrue(checkRemoteResources([{ name: "db", order: "fifo" }]).ok)
    const partitioned = checkRemoteResources([{ name: "db", order: "fifo" }, { name: "api", order: "fifo", partitions: {} }])
    assert.isFalse(partitioned.ok)
    if (!partitioned.ok) assert.include(partitioned.invalid.field, "partitions")
    const lifo = checkRemoteResources([{ name: "db", order: "lifo" }])
    assert.isFalse(lifo.ok)
    if (!lifo.ok) assert.deepStrictEqual([lifo.invalid.value, lifo.invalid.expected], ["lifo", "\"fifo\": the Redis queue is FIFO"])
  })
})

describe("redis/replica", () => {
  it("stats: Redis's counts where it answered, the local share's where it did not", () => {
    const replica = new Replica("p", [{ name: "db", capacity: 4, maxWaiting: 10 }, { name: "api", capacity: 2, maxWaiting: Infinity }], 1000, () => null)
    assert.deepStrictEqual(replica.countedKeys.length, 4)
    replica.setCapacity(1, 3)
    assert.deepStrictEqual(replica.stats([2, 1, null], () => ({ inUse: 7, waiting: 8 })), [
      { resource: "db", capacity: 4, inUse: 2, waiting: 1, maxWaiting: 10 },
      { resource: "api", capacity: 3, inUse: 7, waiting: 8, maxWaiting: Infinity }
    ])
    assert.match(replica.whileDown("open", 2), /db 2, api 1/)
  })
})
