/**
 * CPU pinning for the two-process benchmarks (`bench:overhead`,
 * `bench:reject`): the load generator (this process) on CPU 0, the server
 * under test on CPU 1, so that they do not trade places on the cores mid-run.
 */
import { execFileSync } from "node:child_process"

/** The server's core when {@link pinGenerator} answers `true`. */
export const serverCpus = "1"

/**
 * Pins this process, all its threads, to CPU 0 and answers whether servers
 * can be started on CPU 1 (`taskset` present and both cores ours); with
 * `unpinned`, pins nothing and answers `false`.
 */
export const pinGenerator = (unpinned: boolean): boolean => {
  if (unpinned) return false
  try {
    execFileSync("taskset", ["-c", serverCpus, "true"], { stdio: "ignore" })
    execFileSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}
