import type { Scripts } from "../src/redis/client.js"
import { Heartbeat } from "../src/redis/heartbeat.js"
import { Permits } from "../src/redis/permits.js"
import type { Outcome } from "../src/redis/acquisition.js"
import { Replica } from "../src/redis/replica.js"
import type { AcquireAnswer } from "../src/redis/scripts.js"
import { afterEach, assert, beforeEach, describe, it, vi } from "vitest"

/** Scripts whose replies the test gives, and which record what was sent. */
const fakeScripts = () => {
  const sent: Array<string> = []
  const acquireReplies: Array<(answer: AcquireAnswer) => void> = []
  let tickReply: Array<number> = []
  const scripts = {
    acquire: (_keys: unknown, _args: unknown, id: string) => {
      sent.push(`acquire ${id}`)
      return new Promise<AcquireAnswer>((resolve) => acquireReplies.push(resolve))
    },
    release: (_keys: unknown, _args: unknown, ids: ReadonlyArray<string>) => {
      sent.push(`release ${ids.join(" ")}`)
      return Promise.resolve(ids.length)
    },
    tick: (_keys: unknown, _args: unknown, holders: ReadonlyArray<string>, waiters: ReadonlyArray<string>) => {
      sent.push(`tick ${[...holders, ...waiters].join(" ")}`)
      return Promise.resolve(tickReply)
    }
  } as unknown as Scripts
  return { scripts, sent, reply: (answer: AcquireAnswer) => acquireReplies.shift()!(answer), setTick: (r: Array<number>) => (tickReply = r) }
}

const setup = () => {
  const fake = fakeScripts()
  const replica = new Replica("t", [{ name: "db", capacity: 1, maxWaiting: Infinity }], 1000, () => null)
  const permits = new Permits(fake.scripts, replica.id, 1000, () => {})
  const outcomes: Array<Outcome> = []
  return { ...fake, replica, resource: replica.remote[0], permits, outcomes, resume: (o: Outcome) => outcomes.push(o) }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("redis/acquisition", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] }))
  afterEach(() => vi.useRealTimers())

  it("granted at once: the lease is listed, claimed, and abandoning after the claim gives nothing back", async () => {
    const t = setup()
    const acquisition = t.permits.start(t.resource, Infinity, () => {})
    acquisition.send(t.resume)
    assert.strictEqual(t.resource.waiting.size, 1)
    t.reply(1)
    await flush()
    assert.strictEqual(t.outcomes.length, 1)
    assert.strictEqual(t.outcomes[0]._tag, "granted")
    assert.deepStrictEqual([t.resource.waiting.size, t.resource.leases.size], [0, 1])
    acquisition.claim()
    acquisition.abandon()
    await flush()
    assert.deepStrictEqual(t.sent, [`acquire ${acquisition.id}`])
  })

  it("a grant published on the channel, then an interruption before the claim: the permit goes back", async () => {
    const t = setup()
    const acquisition = t.permits.start(t.resource, Infinity, () => {})
    acquisition.send(t.resume)
    t.reply(0)
    await flush()
    assert.strictEqual(t.outcomes.length, 0)
    t.replica.onMessage(t.replica.channels[0], `other:1 ${acquisition.id}`)
    assert.strictEqual(t.outcomes[0]._tag, "granted")
    acquisition.abandon()
    await flush()
    assert.deepStrictEqual(t.sent, [`acquire ${acquisition.id}`, `release ${acquisition.id}`])
    assert.strictEqual(t.resource.leases.size, 0)
  })

  it("the deadline's timer refuses at once, armed at send: a late reply changes nothing", async () => {
    const t = setup()
    const acquisition = t.permits.start(t.resource, Date.now() + 50, () => {})
    acquisition.send(t.resume)
    vi.advanceTimersByTime(50)
    assert.deepStrictEqual(t.outcomes, [{ _tag: "refused", refusal: "timeout" }])
    t.reply(1)
    await flush()
    assert.strictEqual(t.outcomes.length, 1)
    assert.deepStrictEqual(t.sent, [`acquire ${acquisition.id}`, `release ${acquisition.id}`])
    assert.deepStrictEqual([t.resource.waiting.size, t.resource.leases.size], [0, 0])
  })

  it("refused without being queued (queue full, not free): nothing to take back", async () => {
    const t = setup()
    t.permits.start(t.resource, Infinity, () => {}).send(t.resume)
    t.permits.start(t.resource, 0, () => {}).send(t.resume)
    t.reply(-1)
    t.reply(-2)
    await flush()
    assert.deepStrictEqual(t.outcomes, [{ _tag: "refused", refusal: "queue-full" }, { _tag: "refused", refusal: "timeout" }])
    assert.isTrue(t.sent.every((line) => line.startsWith("acquire")))
  })

  it("closing refuses the queued waits, which leave the queue", async () => {
    const t = setup()
    const acquisition = t.permits.start(t.resource, Infinity, () => {})
    acquisition.send(t.resume)
    t.replica.refuseWaiting()
    assert.deepStrictEqual(t.outcomes, [{ _tag: "refused", refusal: "closed" }])
    assert.strictEqual(t.resource.waiting.size, 0)
  })
})

describe("redis/heartbeat", () => {
  it("a lease Redis no longer has is lost; a waiter granted by the tick gets its permit", async () => {
    const t = setup()
    let lost = 0
    const holder = t.permits.start(t.resource, Infinity, () => lost++)
    holder.send(t.resume)
    t.reply(1)
    await flush()
    holder.claim()
    const waiter = t.permits.start(t.resource, Infinity, () => {})
    waiter.send(t.resume)
    t.reply(0)
    await flush()
    t.setTick([0, 1])
    const logs: Array<string> = []
    new Heartbeat(t.permits, t.replica.remote, null, 250, (m) => logs.push(m)).beat()
    await flush()
    assert.strictEqual(lost, 1)
    assert.strictEqual(logs.length, 1)
    assert.deepStrictEqual([...t.resource.leases.keys()], [waiter.id])
    assert.deepStrictEqual(t.outcomes.map((o) => o._tag), ["granted", "granted"])
  })

  it("with a liveness: nothing sent while Redis is down; a probe when it is up and nothing is held", () => {
    const t = setup()
    let up = false
    let probes = 0
    const heartbeat = new Heartbeat(t.permits, t.replica.remote, { up: () => up, probe: () => probes++ }, 250, () => {})
    t.permits.start(t.resource, Infinity, () => {}).send(t.resume)
    heartbeat.beat()
    assert.deepStrictEqual([t.sent.filter((l) => l.startsWith("tick")).length, probes], [0, 0])
    up = true
    heartbeat.beat()
    assert.deepStrictEqual([t.sent.filter((l) => l.startsWith("tick")).length, probes], [1, 0])
    t.replica.refuseWaiting()
    heartbeat.beat()
    assert.strictEqual(probes, 1)
  })
})
