/**
 * The failed checks of a stress run: each printed when it fails, all of
 * them summed up at the end, where they decide the exit code.
 */
export interface Checks {
  readonly fail: (message: string) => void
  /** Prints PASS, or FAIL with every failed check; returns the exit code. */
  readonly conclude: () => number
}

/** A fresh list of failed checks. */
export const makeChecks = (): Checks => {
  const failures: Array<string> = []
  return {
    fail: (message) => {
      failures.push(message)
      console.log(`FAIL ${message}`)
    },
    conclude: () => {
      console.log(
        failures.length === 0
          ? "PASS: every check held"
          : `FAIL: ${failures.length} check(s) failed:\n  ${failures.join("\n  ")}`
      )
      return failures.length === 0 ? 0 : 1
    }
  }
}
