/**
 * Refuses to load on a Node older than Effect 4 needs, with a message that
 * says so, instead of whatever Effect 4 would fail with there. Every public
 * module imports this first, so that it runs before Effect itself loads.
 *
 * @internal
 */
const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node

/** @internal */
export const tooOld = (version: string): boolean => {
  const [major = 0, minor = 0] = version.split(".").map(Number)
  return major < 22 || (major === 22 && minor < 19)
}

if (node !== undefined && tooOld(node)) {
  throw new Error(
    `@effect-concurrency-limiter/effect4 needs Node >= 22.19, as Effect 4 does; this is Node ${node}. ` +
      `Upgrade Node, or on Effect 3 use the Effect 3 line, effect-concurrency-limiter.`
  )
}
