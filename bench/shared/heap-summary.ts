/**
 * Summarises a V8 heap snapshot (from `node --heapsnapshot-signal=SIGUSR2`
 * and a `kill -USR2 <pid>`, or `v8.writeHeapSnapshot()`): the live heap
 * (a snapshot is taken after a full GC) grouped by kind — strings, code,
 * arrays, and objects and closures by constructor name — and, with
 * `--strings N`, the N largest strings, which show the module sources and
 * bundled assets a process keeps for its whole life.
 *
 * With `--base <earlier.heapsnapshot>` (and `--per N`), it prints what grew
 * between the two snapshots instead, group by group, per one of the N
 * things added between them: what a parked request is made of, for one.
 *
 * Usage: tsx bench/shared/heap-summary.ts <file.heapsnapshot> [--top 20] [--strings 0] [--base <file> --per N]
 */
import * as fs from "node:fs"
import { parseArgs } from "node:util"

/** The parts of the snapshot format read here (see V8's `HeapSnapshotJSONSerializer`). */
interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: ReadonlyArray<string>; readonly node_types: [ReadonlyArray<string>] } }
  readonly nodes: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "20" },
    strings: { type: "string", default: "0" },
    base: { type: "string" },
    per: { type: "string", default: "1" }
  }
})
if (positionals.length !== 1) {
  throw new Error("usage: tsx bench/shared/heap-summary.ts <file.heapsnapshot> [--top 20] [--strings 0] [--base <file> --per N]")
}

interface Group {
  bytes: number
  count: number
}

/** Reads a snapshot: its groups, its strings' sizes and its total. */
const summarise = (file: string) => {
  const snapshot = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const typeAt = fields.indexOf("type")
  const nameAt = fields.indexOf("name")
  const sizeAt = fields.indexOf("self_size")
  const { nodes, strings } = snapshot
  const groups = new Map<string, Group>()
  const stringSizes: Array<{ bytes: number; text: string }> = []
  let total = 0
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]!]!
    const bytes = nodes[i + sizeAt]!
    const name = strings[nodes[i + nameAt]!]!
    total += bytes
    // Objects and closures by constructor (or function) name; anything else by kind.
    const key = type === "object" || type === "closure" ? `${type} ${name}` : type
    const group = groups.get(key) ?? { bytes: 0, count: 0 }
    group.bytes += bytes
    group.count += 1
    groups.set(key, group)
    if (type === "string") stringSizes.push({ bytes, text: name })
  }
  return { groups, stringSizes, total, objects: nodes.length / fields.length }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(2)
const top = Number(values.top)

if (values.base !== undefined) {
  const per = Number(values.per)
  if (!(per >= 1)) throw new Error(`--per must be a positive number, got ${values.per}`)
  const before = summarise(values.base)
  const after = summarise(positionals[0]!)
  // Every kind in either snapshot: one that is gone shows as shrunk, not left out.
  const none: Group = { bytes: 0, count: 0 }
  const grown = [...new Set([...before.groups.keys(), ...after.groups.keys()])].map((key) => {
    const a = after.groups.get(key) ?? none
    const b = before.groups.get(key) ?? none
    return { key, bytes: a.bytes - b.bytes, count: a.count - b.count }
  })
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US")
  console.log(`grown: ${mb(after.total - before.total)} MB, ${fmt((after.total - before.total) / per)} bytes per one of ${per}\n`)
  console.log("| kind | bytes per one | objects per one |\n| --- | --- | --- |")
  for (const { bytes, count, key } of grown.sort((x, y) => y.bytes - x.bytes).slice(0, top)) {
    console.log(`| ${key.slice(0, 80)} | ${fmt(bytes / per)} | ${(count / per).toFixed(1)} |`)
  }
  process.exit(0)
}

const { groups, objects, stringSizes, total } = summarise(positionals[0]!)
console.log(`live heap: ${mb(total)} MB in ${objects} objects\n`)
console.log("| kind | MB | count |\n| --- | --- | --- |")
for (const [key, { bytes, count }] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
  console.log(`| ${key.slice(0, 80)} | ${mb(bytes)} | ${count} |`)
}
const largest = Number(values.strings)
if (largest > 0) {
  console.log(`\nThe ${largest} largest strings:\n`)
  for (const { bytes, text } of stringSizes.sort((a, b) => b.bytes - a.bytes).slice(0, largest)) {
    console.log(`${mb(bytes)} MB  ${JSON.stringify(text.slice(0, 100))}`)
  }
}
