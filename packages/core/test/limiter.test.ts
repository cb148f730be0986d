/**
 * The limiter's Effect-free parts both lines adapt: the deadline timer's
 * schedule, a guard's plan and its fast path, `setCapacity`'s checks, a
 * reload's settings, the stats, and the checked semaphore.
 */
import { describe, expect, it } from "vitest"
import { DeadlineSchedule } from "../src/deadlines/schedule.js"
import { fixed } from "../src/limit/fixed.js"
import { checkSetCapacity } from "../src/limiter/capacity.js"
import { hiddenField } from "../src/limiter/hidden.js"
import { type Plan, planCache, planFor } from "../src/limiter/plan.js"
import { applyReload } from "../src/limiter/reload.js"
import { resourceStats } from "../src/limiter/stats.js"
import { CheckedSemaphore } from "../src/semaphore/checked.js"
import { releaseGrants, tryHoldEach } from "../src/semaphore/grants.js"
import type { Outcomes } from "../src/semaphore/waiter.js"

const outcomes: Outcomes<string> = { granted: "granted", expired: "expired", queueFull: "queueFull" }

const entry = (deadline: number, log: Array<number>) => ({
  deadline,
  heapIndex: -1,
  sequence: 0,
  expire: () => log.push(deadline)
})

const resource = (name: string, capacity: unknown = 1, partitions?: Record<string, number>) => ({
  key: name,
  name,
  capacity,
  maxWaiting: undefined as unknown,
  order: undefined,
  partitions
})

describe("DeadlineSchedule", () => {
  it("arms a new timer only for an earlier deadline, expires in slices, and expires at once once closed", () => {
    const log: Array<number> = []
    const schedule = new DeadlineSchedule(2)
    const first = schedule.add(entry(100, log))
    expect(first).toBeGreaterThan(0)
    expect(schedule.add(entry(150, log))).toBe(0)
    const second = schedule.add(entry(50, log))
    expect(second).toBeGreaterThan(first)
    expect(schedule.isCurrent(first)).toBe(false)
    expect(schedule.armedAt).toBe(50)
    schedule.add(entry(60, log))
    expect(schedule.expireDue(200)).toBeUndefined()
    expect(log).toEqual([50, 60])
    expect(schedule.armedAt).toBe(100) // due already: the timer goes on after a pause
    schedule.expireDue(200)
    expect(log).toEqual([50, 60, 100, 150])
    expect(schedule.armedAt).toBe(Infinity)
    schedule.add(entry(300, log))
    expect(schedule.close()).toBeUndefined()
    expect(schedule.isCurrent(second)).toBe(false)
    expect(log).toEqual([50, 60, 100, 150, 300])
    expect(schedule.add(entry(400, log))).toBe(0)
    expect(log.at(-1)).toBe(400)
    expect(schedule.size).toBe(0)
  })
})

describe("a guard's plan", () => {
  const Db = resource("Db", 2, { a: 1, b: 1 })
  const Api = resource("Api")
  const semaphores = new Map([
    ["Db", new CheckedSemaphore<string>(2, outcomes, { partitions: [["a", 0.5], ["b", 0.5]] })],
    ["Api", new CheckedSemaphore<string>(1, outcomes)]
  ])
  const limiter = { resources: [Api, Db], rankOf: (r: { key: string }) => (r.key === "Api" ? 0 : r.key === "Db" ? 1 : undefined) }
  const messages = { library: "lib", twoDefinitions: (r: { name: string }) => `two ${r.name}` }
  type Res = ReturnType<typeof resource>
  const plan = (
    resources: ReadonlyArray<Res>,
    internals: string | null = "internals"
  ): Plan<typeof limiter, Res, string, CheckedSemaphore<string>, string> =>
    planFor(limiter, resources, "b", (r) => semaphores.get(r.key)!, internals ?? undefined, "api", messages)

  it("orders the resources canonically, with the guard's partition", () => {
    const p = plan([Db, Api])
    expect(p.ordered.map((r) => r.name)).toEqual(["Api", "Db"])
    expect(p.queues.map((q) => q.name)).toEqual([undefined, "b"])
    expect(p.adaptive).toEqual([])
  })

  it("refuses a resource not listed, another definition, and a service without internals", () => {
    expect(() => plan([resource("Other")])).toThrow(/api: resource "Other" is not listed/)
    expect(() => plan([resource("Db", 3)])).toThrow("api: two Db")
    expect(() => plan([Api], null)).toThrow(/copy of lib too different/)
  })

  it("is rebuilt only for another limiter", () => {
    let built = 0
    const planOf = planCache((l: object) => ({ limiter: l, n: ++built }))
    const one = {}
    expect(planOf(one, null).n).toBe(1)
    expect(planOf(one, null).n).toBe(1)
    expect(planOf({}, null).n).toBe(2)
  })

  it("takes every grant on the fast path, or stops at the first that must wait", () => {
    const p = plan([Db, Api])
    const grants: Array<any> = []
    expect(tryHoldEach(p.semaphores, p.queues, grants)).toBe(true)
    expect(grants.length).toBe(2)
    const more: Array<any> = []
    expect(tryHoldEach(p.semaphores, p.queues, more)).toBe(false)
    expect(more.length).toBe(0)
    releaseGrants(grants, "success")
    expect(resourceStats("Db", semaphores.get("Db")!)).toEqual({
      resource: "Db",
      capacity: 2,
      inUse: 0,
      waiting: 0,
      maxWaiting: Infinity,
      partitions: [
        { partition: "a", guaranteed: 1, inUse: 0, waiting: 0 },
        { partition: "b", guaranteed: 1, inUse: 0, waiting: 0 }
      ]
    })
  })
})

describe("setCapacity, reload and the checked semaphore", () => {
  const Db = resource("Db", 2)
  const Adaptive = resource("Adaptive", fixed(3))
  const resources = [Db, Adaptive]

  it("answers the index to resize, or why not", () => {
    expect(checkSetCapacity(resources, 0, Db, 5)).toEqual({ ok: true, value: 0 })
    expect(checkSetCapacity(resources, undefined, resource("X"), 5)).toMatchObject({ ok: false, invalid: { field: "resource" } })
    expect(checkSetCapacity(resources, 0, resource("Db", 7), 5)).toMatchObject({ ok: false, invalid: { value: "Db" } })
    expect(checkSetCapacity(resources, 0, Db, 0)).toMatchObject({ ok: false, invalid: { field: "resources[0].capacity (resource \"Db\")" } })
    expect(checkSetCapacity(resources, 1, Adaptive, 5)).toMatchObject({ ok: false, invalid: { value: "Limit.fixed" } })
  })

  it("re-applies only what comes from Config", () => {
    const fromConfig = { config: true }
    const semaphores = [new CheckedSemaphore<string>(2, outcomes), new CheckedSemaphore<string>(2, outcomes)]
    const isConfig = (option: unknown) => option === fromConfig
    applyReload(semaphores, [{ capacity: 2, maxWaiting: fromConfig }, { capacity: fromConfig }], [
      { capacity: 9, maxWaiting: 4 },
      { capacity: 5, maxWaiting: 8 }
    ], isConfig)
    expect(semaphores.map((s) => [s.capacity, s.maxWaiting])).toEqual([[2, 4], [5, Infinity]])
  })

  it("checks counts and resizes, and hides a value on an object", () => {
    const semaphore = new CheckedSemaphore<string>(2, outcomes)
    expect(() => semaphore.unsafeTryTake(0)).toThrow("Semaphore.unsafeTryTake: permits must be a positive integer, got 0")
    expect(semaphore.unsafeTryTake(2)).toBe(true)
    expect(semaphore.unsafeRelease(1)).toBe(1)
    semaphore.checkResize = (n) => {
      if (n > 3) throw new Error("too many")
    }
    expect(() => semaphore.resizeChecked(-1)).toThrow(/capacity must be a non-negative integer/)
    expect(() => semaphore.resizeChecked(4)).toThrow("too many")
    semaphore.resizeChecked(3)
    expect(String(semaphore)).toBe(`Semaphore({"capacity":3,"inUse":1,"waiting":0})`)
    const field = hiddenField<object, number>("core-test/hidden")
    const owner = {}
    field.attach(owner, 7)
    expect(field.get(owner)).toBe(7)
    expect(Object.keys(owner)).toEqual([])
  })
})
