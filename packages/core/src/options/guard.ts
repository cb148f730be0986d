/**
 * The checks a guard passes when it is defined and when it first meets a
 * limiter: its list of resources, its partition, and that each resource is
 * the one the limiter was built with. A bad guard is a bug in the app, like
 * a bad route: these throw a `TypeError` at once.
 */
import { renderValue } from "./render.js"

/** What the guard checks need of a resource. */
export interface GuardedResource {
  readonly key: string
  readonly name: string
  readonly capacity: unknown
  readonly maxWaiting: unknown
  readonly order: unknown
  readonly partitions: Readonly<Record<string, number>> | undefined
}

/**
 * Throws at definition time on a guard listing no resource or one twice,
 * or naming a partition its resources do not have (or none, when one is
 * partitioned). `api` names the caller in the message; `render` shows a
 * bad value as the caller's line does.
 */
export const checkGuard = (
  resources: ReadonlyArray<GuardedResource>,
  partition: string | undefined,
  api = "Limiter.withResources",
  render: (value: unknown) => string = renderValue
): void => {
  if (!Array.isArray(resources) || resources.length === 0) {
    throw new TypeError(`${api}: expected a non-empty list of resources`)
  }
  const seen = new Set<string>()
  let partitioned = false
  for (const resource of resources) {
    if (seen.has(resource.key)) {
      throw new TypeError(`${api}: resource "${resource.name}" is listed twice`)
    }
    seen.add(resource.key)
    if (resource.partitions === undefined) continue
    partitioned = true
    const names = Object.keys(resource.partitions)
    if (partition === undefined || !names.includes(partition)) {
      throw new TypeError(
        `${api}: resource "${resource.name}" is partitioned (${names.map(render).join(", ")}), ` +
          `so a guard must name one of its partitions; got ${partition === undefined ? "none" : render(partition)}`
      )
    }
  }
  if (partition !== undefined && !partitioned) {
    throw new TypeError(
      `${api}: partition ${render(partition)} given, but none of the resources is partitioned`
    )
  }
}

/**
 * Whether `b` is the resource `a` or the same definition made again (a
 * resource is known by its name, as a service is by its key, so the
 * limiter's semaphore for `a` is what a guard naming `b` would get).
 */
export const sameDefinition = (a: GuardedResource, b: GuardedResource): boolean =>
  a === b || (
    a.name === b.name && a.capacity === b.capacity && a.maxWaiting === b.maxWaiting && a.order === b.order &&
    samePartitions(a.partitions, b.partitions)
  )

const samePartitions = (
  a: Readonly<Record<string, number>> | undefined,
  b: Readonly<Record<string, number>> | undefined
): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  const names = Object.keys(a)
  return names.length === Object.keys(b).length && names.every((name) => a[name] === b[name])
}

/**
 * The message of a guard whose resource has the name of another one the
 * limiter was built with; `service` is what a line's resources are, e.g.
 * "a Context.Tag".
 */
export const twoDefinitions = (resource: { readonly name: string }, service: string): string =>
  `two different resources are named ${renderValue(resource.name)}: the one listed in Limiter.layer and another ` +
  `with other options. A resource is known by its name, as ${service} is by its key: define each once and ` +
  "import it wherever it is used"
