/**
 * A value that travels on an object out of sight of its users: a limiter's
 * internals on its public service. It sits under `Symbol.for(key)`, a key
 * that names its layout, so that it is found wherever the object came from,
 * even from another copy of the package in the same process.
 */

/** Attaches and reads one hidden field. */
export interface HiddenField<O extends object, V> {
  /** Makes `value` travel on `owner`, not enumerable. */
  readonly attach: (owner: O, value: V) => void
  /** The value attached to `owner`, if any. */
  readonly get: (owner: O) => V | undefined
}

/** The hidden field registered under `Symbol.for(key)`. */
export const hiddenField = <O extends object, V>(key: string): HiddenField<O, V> => {
  const id = Symbol.for(key)
  return {
    attach: (owner, value) => {
      Object.defineProperty(owner, id, { value, enumerable: false })
    },
    get: (owner) => (owner as { readonly [id]?: V })[id]
  }
}
