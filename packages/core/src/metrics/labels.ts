/**
 * The labels of a limiter's series (Effect 3's metric labels, Effect 4's
 * attributes), as ordered key-value pairs each line turns into its own.
 *
 * Every series carries, in this order: `limiter` (the layer's `name`),
 * `resource`, then `partition`, `outcome` or `algorithm` where they apply,
 * then the labels in force where the layer was built, less any with one of
 * those keys.
 */
import type { Outcome } from "./definitions.js"

/** Key-value pairs, in the order a series carries them. */
export type Attributes = ReadonlyArray<readonly [key: string, value: string]>

/** The `name` of a limiter given none: its `limiter` label. */
export const defaultName = "default"

/**
 * The `partition` label of takes through a partitioned resource's own
 * semaphore API, which name no partition.
 */
export const unpartitioned = "(none)"

/** The keys the library sets: a build label of the same key would give a series two of them. */
export const ownKeys: ReadonlySet<string> = new Set(["limiter", "resource", "partition", "outcome", "algorithm"])

/** The labels in force where a layer is built that its series carry: those of a key the library sets are left out. */
export const buildAttributes = (labels: Attributes): Attributes => labels.filter(([key]) => !ownKeys.has(key))

/** The labels that pick one series of a limiter's metric. */
export interface SeriesLabels {
  /** The limiter's `name`. Default `"default"`. */
  readonly limiter?: string | undefined
  readonly resource: string
  readonly partition?: string | undefined
  readonly outcome?: Outcome | undefined
  readonly algorithm?: string | undefined
}

/** `labels` as the pairs a limiter writes, in its order. */
export const seriesAttributes = (labels: SeriesLabels): Attributes => {
  const pairs: Array<readonly [string, string]> = [["limiter", labels.limiter ?? defaultName], ["resource", labels.resource]]
  if (labels.partition !== undefined) pairs.push(["partition", labels.partition])
  if (labels.outcome !== undefined) pairs.push(["outcome", labels.outcome])
  if (labels.algorithm !== undefined) pairs.push(["algorithm", labels.algorithm])
  return pairs
}

/** What identifies a resource's series: the limiter's name, the resource, the build labels in any order. */
export const seriesIdentity = (name: string, resource: string, tags: Attributes): string =>
  JSON.stringify([name, resource, tags.map(([key, value]) => [key, value]).sort()])
