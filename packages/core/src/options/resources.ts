/**
 * The check of a limiter's list of resources, and how the errors name a
 * resource's option. A resource is known by its `key` (its name, as the
 * line spells it in its context); each line says what a resource is.
 */
import { type Checked, invalid, valid } from "./invalid.js"

/** What the list check needs of a resource. */
export interface Named {
  readonly key: string
  readonly name: unknown
}

/** What a limiter accepts as a resource's name. */
export interface NameRule {
  readonly valid: (name: string) => boolean
  readonly expected: string
}

/** Any non-empty string (an in-memory limiter's rule). */
export const anyName: NameRule = { valid: (name) => name.length > 0, expected: "a non-empty string" }

/**
 * A limiter's resources: a non-empty list of resources (`isResource`), each
 * name valid and listed once. Gives each resource's rank, its index in the
 * list: the order resources are acquired in.
 */
export const checkResourceList = <R extends Named>(
  value: unknown,
  isResource: (u: unknown) => u is R,
  name: NameRule = anyName
): Checked<Map<string, number>> => {
  if (!Array.isArray(value) || value.length === 0) return invalid("resources", value, "a non-empty list of resources")
  const rank = new Map<string, number>()
  // An index loop: a hole in a sparse list is an entry too.
  for (let i = 0; i < value.length; i++) {
    const resource: unknown = value[i]
    if (!isResource(resource)) return invalid(`resources[${i}]`, resource, "a resource made by Resource.make")
    if (typeof resource.name !== "string" || !name.valid(resource.name)) {
      return invalid(`resources[${i}].name`, resource.name, name.expected)
    }
    const listed = rank.get(resource.key)
    if (listed !== undefined) {
      return invalid(`resources[${i}].name`, resource.name, `a name not already listed (resources[${listed}])`)
    }
    rank.set(resource.key, i)
  }
  return valid(rank)
}

/** The field of a resource's option, named with the resource: `resources[0].capacity (resource "Db")`. */
export const resourceField = (resources: ReadonlyArray<{ readonly name: string }>, i: number, option: string): string =>
  `resources[${i}].${option} (resource "${resources[i].name}")`
