/**
 * What a benchmark starts it must not leave behind: its server children and
 * its throwaway PostgreSQL cluster are stopped when it exits, normally or on
 * a signal (Ctrl-C, a CI runner's SIGTERM). Node runs no "exit" handler when
 * a signal it has no listener for ends the process, so this listens for
 * them, runs the cleanups, and then exits as the signal would have.
 *
 * The registry is the process's own: one benchmark process, one set of
 * children to stop.
 */
import * as os from "node:os"

const cleanups = new Set<() => void>()
let installed = false

const runAll = () => {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup)
    try {
      cleanup()
    } catch {
      // Already gone: the next one still runs.
    }
  }
}

const install = () => {
  if (installed) return
  installed = true
  process.once("exit", runAll)
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      runAll()
      process.exit(128 + os.constants.signals[signal])
    })
  }
}

/**
 * Runs `cleanup` (synchronously: the process is exiting) when the process
 * exits or is stopped by SIGINT, SIGTERM or SIGHUP. Returns a function that
 * forgets it, for a child already stopped.
 */
export const onExit = (cleanup: () => void): (() => void) => {
  install()
  cleanups.add(cleanup)
  return () => {
    cleanups.delete(cleanup)
  }
}
