/**
 * The series the live limiters write, by the registry they write to: a
 * limiter claims its series while its layer is open, and a second one that
 * would write any of them is refused (its `name` option), since the two
 * would overwrite each other's gauges.
 *
 * Held on `globalThis`, not in this module: two copies of the library that
 * load one copy of Effect write one registry and must see each other's
 * limiters; two copies of Effect have two registries, which cannot collide.
 * The key is versioned by the shape of what it holds.
 */
import { type Attributes, seriesIdentity } from "./labels.js"

const key = Symbol.for("effect-concurrency-limiter/Metrics/liveSeries/v2")

const liveSeries = (): WeakMap<object, Set<string>> => {
  const store = globalThis as { [key]?: WeakMap<object, Set<string>> }
  return store[key] ??= new WeakMap()
}

const liveIn = (registry: object): Set<string> => {
  const all = liveSeries()
  let live = all.get(registry)
  if (live === undefined) {
    live = new Set()
    all.set(registry, live)
  }
  return live
}

/** A limiter's claim on its series in one registry. */
export interface Claim {
  /** Gives the series up: the layer closed. */
  readonly release: () => void
}

/**
 * Claims the series of limiter `name`'s `resources` under build labels
 * `tags` in `registry`. Answers the claim, or the resource whose series a
 * live limiter already writes (nothing is claimed then).
 */
export const claimSeries = (
  registry: object,
  name: string,
  resources: ReadonlyArray<string>,
  tags: Attributes
): Claim | { readonly taken: string } => {
  const ids = resources.map((resource) => seriesIdentity(name, resource, tags))
  const live = liveIn(registry)
  const taken = ids.findIndex((id) => live.has(id))
  if (taken !== -1) return { taken: resources[taken] }
  for (const id of ids) live.add(id)
  return {
    release: () => {
      const live = liveIn(registry)
      for (const id of ids) live.delete(id)
    }
  }
}

/** What the `name` option is expected to be when `resource`'s series are taken. */
export const nameTaken = (resource: string): string =>
  `a name no other live limiter uses for resource "${resource}" under the same metric labels ` +
  "(the two would write one series)"
