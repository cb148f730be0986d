/**
 * The checks of a limiter's resource list and of a guard's resources and
 * partition, with the exact texts of their refusals.
 */
import { describe, expect, it } from "vitest"
import { checkGuard, type GuardedResource, sameDefinition, twoDefinitions } from "../src/options/guard.js"
import { checkResourceList, resourceField } from "../src/options/resources.js"
import { resourceNameRule } from "../src/redis/keys.js"

const brand = Symbol("resource")
const resource = (name: string, partitions?: Record<string, number>): GuardedResource & { readonly [brand]: true } => ({
  [brand]: true,
  key: `key:${name}`,
  name,
  capacity: 5,
  maxWaiting: undefined,
  order: "fifo",
  partitions
})
const isResource = (u: unknown): u is ReturnType<typeof resource> => typeof u === "object" && u !== null && brand in u
const refusal = (checked: { readonly ok: boolean; readonly invalid?: unknown }) => checked.ok ? undefined : checked.invalid

describe("checkResourceList", () => {
  it("ranks the resources in their order", () => {
    expect(checkResourceList([resource("Db"), resource("Fs")], isResource)).toEqual({ ok: true, value: new Map([["key:Db", 0], ["key:Fs", 1]]) })
  })

  it("refuses an empty list, a non-resource (a hole too), a bad name, a name twice", () => {
    expect(refusal(checkResourceList([], isResource))).toEqual({ field: "resources", value: [], expected: "a non-empty list of resources" })
    // eslint-disable-next-line no-sparse-arrays
    expect(refusal(checkResourceList([resource("Db"), , resource("Fs")], isResource)))
      .toEqual({ field: "resources[1]", value: undefined, expected: "a resource made by Resource.make" })
    expect(refusal(checkResourceList([resource("")], isResource))).toEqual({ field: "resources[0].name", value: "", expected: "a non-empty string" })
    expect(refusal(checkResourceList([resource("Db"), resource("Db")], isResource)))
      .toEqual({ field: "resources[1].name", value: "Db", expected: "a name not already listed (resources[0])" })
  })

  it("takes a limiter's own rule for names (Redis: no braces or spaces)", () => {
    expect(refusal(checkResourceList([resource("a{b}")], isResource, resourceNameRule)))
      .toEqual({ field: "resources[0].name", value: "a{b}", expected: "a non-empty string without braces or spaces" })
    expect(resourceField([resource("Db")], 0, "capacity")).toBe("resources[0].capacity (resource \"Db\")")
  })
})

describe("checkGuard", () => {
  const Db = resource("Db")
  const Api = resource("Api", { interactive: 0.8, batch: 0.2 })
  const fails = (f: () => void) => {
    try {
      f()
    } catch (e) {
      expect(e).toBeInstanceOf(TypeError)
      return (e as Error).message
    }
    return undefined
  }

  it("passes a good guard", () => {
    expect(fails(() => checkGuard([Db], undefined))).toBeUndefined()
    expect(fails(() => checkGuard([Db, Api], "batch"))).toBeUndefined()
  })

  it("refuses no resource, a resource twice, a partition missing or unknown or given for nothing", () => {
    expect(fails(() => checkGuard([], undefined, "Limiter.acquire"))).toBe("Limiter.acquire: expected a non-empty list of resources")
    expect(fails(() => checkGuard([Db, Db], undefined))).toBe("Limiter.withResources: resource \"Db\" is listed twice")
    expect(fails(() => checkGuard([Api], undefined))).toBe(
      "Limiter.withResources: resource \"Api\" is partitioned (\"interactive\", \"batch\"), so a guard must name one of its partitions; got none"
    )
    expect(fails(() => checkGuard([Api], "bulk"))).toContain("got \"bulk\"")
    expect(fails(() => checkGuard([Db], "batch"))).toBe(
      "Limiter.withResources: partition \"batch\" given, but none of the resources is partitioned"
    )
    expect(fails(() => checkGuard([Db], "batch", "X", () => "<batch>"))).toBe("X: partition <batch> given, but none of the resources is partitioned")
  })

  it("knows a resource made again with the same options from another of the same name", () => {
    expect(sameDefinition(Api, resource("Api", { interactive: 0.8, batch: 0.2 }))).toBe(true)
    expect(sameDefinition(Api, resource("Api", { interactive: 0.5, batch: 0.5 }))).toBe(false)
    expect(sameDefinition(Db, { ...resource("Db"), capacity: 6 })).toBe(false)
    expect(twoDefinitions(Db, "a Context.Tag")).toBe(
      "two different resources are named \"Db\": the one listed in Limiter.layer and another with other options. " +
        "A resource is known by its name, as a Context.Tag is by its key: define each once and import it wherever it is used"
    )
  })
})
