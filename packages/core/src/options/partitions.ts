/**
 * The check of a resource's partitions: named shares of its capacity.
 */
import { type Checked, invalid, valid } from "./invalid.js"

/**
 * At least one partition, each a share in (0, 1], adding up to at most 1
 * (a float tolerance lets 0.1 + 0.2 + 0.7 through). Gives the entries.
 */
export const checkPartitions = (field: string, value: unknown): Checked<ReadonlyArray<readonly [string, number]>> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return invalid(field, value, "an object of partition names to shares, e.g. { interactive: 0.8, batch: 0.2 }")
  }
  const entries = Object.entries(value)
  if (entries.length === 0) return invalid(field, value, "at least one partition")
  for (const [name, share] of entries) {
    if (name.length === 0) return invalid(`${field}[""]`, share, "a non-empty partition name")
    if (typeof share !== "number" || !(share > 0 && share <= 1)) {
      return invalid(`${field}.${name}`, share, "a share in (0, 1]")
    }
  }
  const total = entries.reduce((sum, [, share]) => sum + (share as number), 0)
  if (total > 1 + 1e-9) {
    return invalid(field, value, `shares adding up to at most 1 (these add up to ${total})`)
  }
  return valid(entries as ReadonlyArray<readonly [string, number]>)
}
