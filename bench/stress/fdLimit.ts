/**
 * The file-descriptor limit (RLIMIT_NOFILE) a stress run needs: every
 * connection is a descriptor in the client and another in the server, each
 * its own process. Node raises its own soft limit to the hard limit at
 * start-up, but cannot call setrlimit from JavaScript, so a hard limit that
 * is too low is raised (when we are allowed to, i.e. as root) with
 * `prlimit --pid`, which util-linux provides; the server child inherits
 * the limit of this process.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"

/** Soft and hard RLIMIT_NOFILE of a process (`Infinity` for "unlimited"). */
export interface FdLimit {
  readonly soft: number
  readonly hard: number
}

/** Reads `pid`'s (default: this process's) limit from /proc. */
export const readFdLimit = (pid: number | "self" = "self"): FdLimit => {
  const line = fs.readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"))
  const [soft, hard] = (line ?? "").replace("Max open files", "").trim().split(/\s+/)
  const value = (text: string | undefined) => text === "unlimited" ? Infinity : Number(text)
  return { soft: value(soft), hard: value(hard) }
}

/** What {@link ensureFdLimit} found and did, in words, and whether `needed` is now available. */
export interface FdLimitReport {
  readonly before: FdLimit
  readonly after: FdLimit
  readonly enough: boolean
  readonly message: string
}

/** Raises this process's limit to at least `needed` where the system allows it. */
export const ensureFdLimit = (needed: number): FdLimitReport => {
  const before = readFdLimit()
  if (before.soft >= needed) {
    return { before, after: before, enough: true, message: `RLIMIT_NOFILE soft ${before.soft}, hard ${before.hard}: enough for ${needed}` }
  }
  const target = Math.max(needed, before.hard === Infinity ? needed : before.hard)
  let error = ""
  try {
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${target}:${Math.max(target, before.hard)}`], { stdio: "pipe" })
  } catch (e) {
    error = String((e as { stderr?: Buffer }).stderr ?? e).trim()
  }
  const after = readFdLimit()
  const enough = after.soft >= needed
  const message = enough
    ? `RLIMIT_NOFILE raised from soft ${before.soft}/hard ${before.hard} to soft ${after.soft}/hard ${after.hard}: enough for ${needed}`
    : `RLIMIT_NOFILE is soft ${after.soft}/hard ${after.hard} and could NOT be raised to ${needed}${error ? ` (${error})` : ""}`
  return { before, after, enough, message }
}
