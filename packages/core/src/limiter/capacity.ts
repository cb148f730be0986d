/**
 * Setting a resource's capacity while the limiter serves (`setCapacity`, or
 * `resize` on the resource's semaphore): which listed resource it is, and
 * whether the capacity asked for may be set. Refusals are the core's
 * `Invalid`s, which each line turns into its `LimiterConfigError`.
 */
import { isLimit } from "../limit/model.js"
import { capacityFollowsLimit } from "../options/adaptive.js"
import { type GuardedResource, sameDefinition } from "../options/guard.js"
import { type Checked, invalid } from "../options/invalid.js"
import { checkCapacity } from "../options/resource.js"
import { resourceField } from "../options/resources.js"

/**
 * The index, in the limiter's `resources`, of the one `resource` names
 * (`rank`, looked up by its key): refused when it is not listed, or when it
 * is another definition under a listed name.
 */
const capacityTarget = (
  resources: ReadonlyArray<GuardedResource>,
  rank: number | undefined,
  resource: GuardedResource
): Checked<number> => {
  if (rank === undefined) {
    return invalid("resource", resource.name, "a resource listed in Limiter.layer({ resources })")
  }
  if (!sameDefinition(resources[rank], resource)) {
    return invalid(
      "resource",
      resource.name,
      "the resource listed in Limiter.layer under that name, not another definition with other options " +
        "(a resource is known by its name: define each once)"
    )
  }
  return { ok: true, value: rank }
}

/**
 * Checks a capacity set while serving for `resources[i]`: a positive safe
 * integer, for a resource whose capacity does not follow a `Limit`.
 */
export const checkNewCapacity = (
  resources: ReadonlyArray<{ readonly name: string; readonly capacity: unknown }>,
  i: number,
  capacity: number
): Checked<number> => {
  const field = resourceField(resources, i, "capacity")
  const configured = resources[i].capacity
  if (isLimit(configured)) return { ok: false, invalid: capacityFollowsLimit(field, configured.name) }
  return checkCapacity(field, capacity)
}

/**
 * Checks `setCapacity(resource, capacity)` on a limiter with `resources`
 * (`rank` is the one listed under `resource`'s key, if any): answers the
 * index of the resource whose semaphore is to be resized to `capacity`.
 */
export const checkSetCapacity = (
  resources: ReadonlyArray<GuardedResource>,
  rank: number | undefined,
  resource: GuardedResource,
  capacity: number
): Checked<number> => {
  const target = capacityTarget(resources, rank, resource)
  if (!target.ok) return target
  const checked = checkNewCapacity(resources, target.value, capacity)
  return checked.ok ? target : checked
}
