/**
 * The listen backlog the kernel actually applies to a listening port, and
 * how full it is: for a LISTEN socket `ss` shows the backlog as Send-Q (Node
 * asks for 511 unless told otherwise; Linux caps it at net.core.somaxconn)
 * and the connections waiting to be accepted as Recv-Q.
 */
import { execFile, execFileSync } from "node:child_process"
import * as fs from "node:fs"

/** The backlog of 127.0.0.1:`port`, and somaxconn; NaN where they cannot be read. */
export const readListenBacklog = (port: number): { readonly backlog: number; readonly somaxconn: number } => {
  let backlog = Number.NaN
  try {
    const line = execFileSync("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" }).trim().split("\n")[0] ?? ""
    backlog = Number(line.split(/\s+/)[2])
  } catch {
    // no ss
  }
  let somaxconn = Number.NaN
  try {
    somaxconn = Number(fs.readFileSync("/proc/sys/net/core/somaxconn", "utf8"))
  } catch {
    // not Linux
  }
  return { backlog, somaxconn }
}

/** How many completed connections wait in 127.0.0.1:`port`'s accept queue (NaN if `ss` fails). */
export const readAcceptQueue = (port: number): Promise<number> =>
  new Promise((resolve) =>
    execFile("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" }, (error, stdout) =>
      resolve(error ? Number.NaN : Number(stdout.trim().split(/\s+/)[1]))
    )
  )

/**
 * The accept-queue watch of `pacing.ts` for 127.0.0.1:`port`: connect only
 * while the queue holds less than half the backlog (128 when the backlog
 * cannot be read), so that it never overflows into SYN retries.
 */
export const acceptQueueWatch = (port: number, backlog = readListenBacklog(port).backlog) => ({
  read: () => readAcceptQueue(port),
  limit: Number.isNaN(backlog) ? 128 : Math.floor(backlog / 2)
})
