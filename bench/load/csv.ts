/**
 * CSV output of per-second rows. Numbers are written plainly (latencies to
 * 0.1 ms), and NaN (no sample) as an empty cell so spreadsheets read it as missing.
 */
import type { SecondRow } from "./aggregate.js"
import { serverColumns, type ServerSecond } from "./server-seconds.js"

const cell = (value: number | string): string => {
  if (typeof value === "string") return /[",\n]/.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value
  if (Number.isNaN(value)) return ""
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

/** Renders any list of flat records as CSV with the given column order. */
export const toCsv = <A extends Record<string, number | string>>(
  columns: ReadonlyArray<keyof A & string>,
  records: ReadonlyArray<A>
): string =>
  [columns.join(","), ...records.map((r) => columns.map((c) => cell(r[c]!)).join(","))].join("\n") + "\n"

/** Column order of the per-second, per-endpoint CSV. */
export const secondColumns = [
  "t",
  "endpoint",
  "vus",
  "requests",
  "ok",
  "busy",
  "timeouts",
  "errors",
  "p50",
  "p95",
  "p99",
  "max",
  "busyMax"
] as const satisfies ReadonlyArray<keyof SecondRow>

/**
 * The per-second, per-endpoint rows as CSV (`busy` = 503 responses). With
 * the server's own seconds (its probe's event-loop delay and GC), each row
 * also carries its second's server columns, repeated on every endpoint's
 * row: a slow `/file` second and the loop delay of that second side by side.
 */
export const secondsToCsv = (rows: ReadonlyArray<SecondRow>, server?: ReadonlyArray<ServerSecond>): string => {
  if (server === undefined) return toCsv(secondColumns, rows as unknown as ReadonlyArray<Record<string, number | string>>)
  const at = new Map(server.map((s) => [s.t, s]))
  const joined = rows.map((r) => {
    const s = at.get(r.t)
    return { ...r, ...Object.fromEntries(serverColumns.map((c) => [c, s?.[c] ?? Number.NaN])) }
  })
  return toCsv([...secondColumns, ...serverColumns], joined as unknown as ReadonlyArray<Record<string, number | string>>)
}

/** Parses CSV written by {@link toCsv} (no quoted commas in our data). */
export const parseCsv = (text: string): Array<Record<string, string>> => {
  const [header, ...lines] = text.trim().split("\n")
  const columns = header!.split(",")
  return lines.map((line) => {
    const cells = line.split(",")
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""]))
  })
}

/** Reads the server's seconds back from a CSV with server columns (empty without them). */
export const serverSecondsFromCsv = (text: string): Array<ServerSecond> => {
  const seen = new Set<number>()
  const out: Array<ServerSecond> = []
  for (const r of parseCsv(text)) {
    if (r.loopP99Ms === undefined) return []
    const t = Number(r.t)
    if (seen.has(t) || r.loopP99Ms === "") continue
    seen.add(t)
    const n = (k: string) => (r[k] === "" || r[k] === undefined ? Number.NaN : Number(r[k]))
    out.push({ t, ...Object.fromEntries(serverColumns.map((c) => [c, n(c)])) } as unknown as ServerSecond)
  }
  return out
}

/** Reads per-second rows back from CSV (for re-rendering charts without re-running). */
export const secondsFromCsv = (text: string): Array<SecondRow> =>
  parseCsv(text).map((r) => {
    const n = (k: string) => (r[k] === "" || r[k] === undefined ? Number.NaN : Number(r[k]))
    return {
      t: n("t"),
      endpoint: r.endpoint ?? "",
      vus: n("vus"),
      requests: n("requests"),
      ok: n("ok"),
      busy: n("busy"),
      timeouts: n("timeouts"),
      errors: n("errors"),
      p50: n("p50"),
      p95: n("p95"),
      p99: n("p99"),
      max: n("max"),
      busyMax: n("busyMax")
    }
  })
