/**
 * How many connections a server has accepted on a port, from the kernel's
 * socket table: ESTABLISHED sockets whose local port is `port` and that
 * belong to a file (inode ≠ 0). A connection still waiting in the accept
 * queue has no file yet, so it is not counted; neither are the clients'
 * ends, whose local port is their own.
 */
import * as fs from "node:fs"

/** Accepted connections on 127.0.0.1:`port` (IPv4), or NaN when /proc/net/tcp cannot be read. */
export const countAccepted = (port: number): number => {
  let text: string
  try {
    text = fs.readFileSync("/proc/net/tcp", "utf8")
  } catch {
    return Number.NaN
  }
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`
  let count = 0
  for (const line of text.split("\n")) {
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode"
    const fields = line.trim().split(/\s+/)
    if (fields.length > 9 && fields[1].endsWith(local) && fields[3] === "01" && fields[9] !== "0") count++
  }
  return count
}
