/**
 * The Redis keys of a resource and the channels its grants are published
 * on. Every key of a resource shares one hash tag, `{<resource>}`, so that a
 * Redis Cluster keeps them on one shard (a script may only touch keys of
 * one shard).
 */
import type { NameRule } from "../options/resources.js"

/** The keys of one resource, in the order the scripts take them. */
export interface ResourceKeys {
  readonly keys: readonly [holders: string, waiters: string, alive: string, seq: string, fence: string]
  /** The prefix of the grant channels: a replica's is `<channel>:<replica>`. */
  readonly channel: string
}

/** The keys of `resource` under `prefix`: `<prefix>:{<resource>}:holders`, …, and its channel prefix. */
export const keysOf = (prefix: string, resource: string): ResourceKeys => {
  const tag = `${prefix}:{${resource}}`
  return {
    keys: [`${tag}:holders`, `${tag}:waiters`, `${tag}:alive`, `${tag}:seq`, `${tag}:fence`],
    channel: `${tag}:granted`
  }
}

/**
 * The channel on which `replica` hears of its grants. Ids are
 * `<replica>:<n>`: the scripts find the channel from the id.
 */
export const grantChannel = (keys: ResourceKeys, replica: string): string => `${keys.channel}:${replica}`

/** A resource's name is part of its keys' hash tag `{name}`: no braces, no spaces. */
export const resourceNameRule: NameRule = {
  valid: (name) => name.length > 0 && !/[{}\s]/.test(name),
  expected: "a non-empty string without braces or spaces"
}
