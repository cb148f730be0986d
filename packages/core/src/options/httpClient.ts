/**
 * The checks of a limited HTTP client's options that are not its rate or
 * its retry policy: the options object, its resources (each one the
 * limiter knows, listed once), its partition, and the hosts of a keyed
 * client.
 */
import { type Checked, invalid, valid } from "./invalid.js"
import { renderValue } from "./render.js"

/**
 * How long a response body nobody has started to read keeps its permits:
 * long enough for any caller that reads what it asked for, short enough
 * that a caller that only looks at the status does not hold capacity.
 */
export const unreadBodyTimeoutDefault = "1 second"

/** The options of a client (or of one host), an object; `prefix` places them in the caller's options. */
export const checkOptionsObject = (prefix: string, options: unknown): Checked<{ readonly [key: string]: unknown }> =>
  typeof options === "object" && options !== null
    ? valid(options as { readonly [key: string]: unknown })
    : invalid(prefix || "options", options, "an options object")

/**
 * A client's resources: a non-empty list of resources the limiter was
 * built with (`isListed`), each listed once.
 */
export const checkClientResources = <R extends { readonly key: string; readonly name: string }>(
  field: string,
  resources: unknown,
  isListed: (u: unknown) => u is R
): Checked<ReadonlyArray<R>> => {
  if (!Array.isArray(resources) || resources.length === 0) return invalid(field, resources, "a non-empty list of resources")
  const seen = new Map<string, number>()
  // An index loop, not `forEach`: a hole in a sparse list is an entry too.
  for (let i = 0; i < resources.length; i++) {
    const resource: unknown = resources[i]
    const name = (resource as { readonly name?: unknown } | null | undefined)?.name
    if (!isListed(resource)) {
      return invalid(`${field}[${i}]`, name ?? resource, "a resource listed in Limiter.layer({ resources })")
    }
    const listed = seen.get(resource.key)
    if (listed !== undefined) return invalid(`${field}[${i}]`, name, `a resource not already listed (${field}[${listed}])`)
    seen.set(resource.key, i)
  }
  return valid(resources as ReadonlyArray<R>)
}

/**
 * The partition a client's requests belong to: required when one of its
 * resources is partitioned, and then one that each partitioned resource has.
 */
export const checkClientPartition = (
  field: string,
  resources: ReadonlyArray<{ readonly name: string; readonly partitions: Readonly<Record<string, number>> | undefined }>,
  partition: unknown
): Checked<string | undefined> => {
  const partitioned = resources.filter((resource) => resource.partitions !== undefined)
  if (partitioned.length === 0) {
    return partition === undefined ? valid(undefined) : invalid(field, partition, "nothing: none of the resources is partitioned")
  }
  for (const resource of partitioned) {
    const names = Object.keys(resource.partitions!)
    if (typeof partition !== "string" || !names.includes(partition)) {
      return invalid(field, partition, `a partition of resource "${resource.name}" (${names.map(renderValue).join(", ")})`)
    }
  }
  return valid(partition as string)
}

/**
 * A host key as `URL.host` spells it: lower case, a port only when it is
 * not the scheme's default. Anything else (a scheme, a path, upper case)
 * would never match a request, silently leaving that API unlimited.
 */
export const checkHost = (host: string): Checked<string> => {
  let parsed: string | undefined
  try {
    const url = new URL(`http://${host}`)
    parsed = url.pathname === "/" && url.search === "" && url.username === "" ? url.host : undefined
  } catch {
    parsed = undefined
  }
  return parsed === host && host.length > 0
    ? valid(host)
    : invalid("hosts", host, "a host as in a URL, lower case, such as \"api.example.com\" or \"127.0.0.1:8080\"")
}
