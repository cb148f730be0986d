/**
 * An option refused by a check, as plain data: which option, the value it
 * got (raw, so that each Effect line renders it its own way) and what it
 * accepts. The checks answer a `Checked` instead of throwing, except where
 * a bad option is a programming error caught at once (the `Limit`
 * constructors throw an `InvalidOptionError`).
 */
import { renderValue } from "./render.js"

/** An option refused: its path in the options object, its value, what it accepts. */
export interface Invalid {
  readonly field: string
  readonly value: unknown
  readonly expected: string
}

/** A check's verdict: the value as it is used, or why it was refused. */
export type Checked<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly invalid: Invalid }

/** A value that passed its check. */
export const valid = <A>(value: A): Checked<A> => ({ ok: true, value })

/** A value refused: `field` got `value`, which is not `expected`. */
export const invalid = (field: string, value: unknown, expected: string): Checked<never> => ({
  ok: false,
  invalid: { field, value, expected }
})

/**
 * Thrown by the checks that run in code rather than on configuration (the
 * `Limit` constructors): an adapter turns it into its own error type.
 */
export class InvalidOptionError extends Error {
  constructor(readonly invalid: Invalid) {
    super(`Invalid Limiter option ${invalid.field}: expected ${invalid.expected}, got ${renderValue(invalid.value)}`)
    this.name = "InvalidOptionError"
  }
}

/** Throws `InvalidOptionError` unless `ok`. */
export const check = (field: string, value: unknown, ok: boolean, expected: string): void => {
  if (!ok) throw new InvalidOptionError({ field, value, expected })
}

/**
 * Runs `make`, a constructor that checks its options in code (a `Limit`'s),
 * throwing `toError` of its refusal instead of the `InvalidOptionError` (the
 * error type a line documents); anything else it throws goes on as it is.
 */
export const rethrowInvalidAs = <A>(make: () => A, toError: (invalid: Invalid) => unknown): A => {
  try {
    return make()
  } catch (error) {
    if (error instanceof InvalidOptionError) throw toError(error.invalid)
    throw error
  }
}
