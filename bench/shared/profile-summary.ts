/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions
 * with the most self time, and the most inclusive time, as shares of the
 * profile's busy (non-idle) samples. Frames are named `function file:line`,
 * with paths shortened to the package or to this repository.
 *
 * Usage: tsx bench/shared/profile-summary.ts <file.cpuprofile> [--top 25] [--skip-seconds 0] [--until-seconds ∞]
 * (only the samples between the two, in seconds from the profile's start:
 * leave out module loading and warm-up, or keep a spike's window alone.)
 */
import * as fs from "node:fs"
import { parseArgs } from "node:util"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "25" },
    "skip-seconds": { type: "string", default: "0" },
    "until-seconds": { type: "string", default: "Infinity" }
  }
})
if (positionals.length !== 1) throw new Error("usage: tsx bench/shared/profile-summary.ts <file.cpuprofile> [--top 25]")
const profile = JSON.parse(fs.readFileSync(positionals[0]!, "utf8")) as Profile
const top = Number(values.top)

const shorten = (url: string): string => {
  const nm = url.lastIndexOf("node_modules/")
  if (nm >= 0) return url.slice(nm + "node_modules/".length).replace(/\/dist\/(esm|cjs)\//, "/")
  return url.replace(/^file:\/\/.*\/(src|bench|examples|\.bench-out)\//, "$1/")
}
const nameOf = (f: CallFrame): string =>
  `${f.functionName || "(anonymous)"} ${f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : ""}`.trim()

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
let busy = 0
let considered = 0
const skipUs = Number(values["skip-seconds"]) * 1e6
const untilUs = Number(values["until-seconds"]) * 1e6
let elapsedUs = 0
for (const [i, id] of profile.samples.entries()) {
  elapsedUs += profile.timeDeltas[i] ?? 0
  if (elapsedUs < skipUs || elapsedUs >= untilUs) continue
  considered++
  const node = byId.get(id)!
  if (node.callFrame.functionName === "(idle)" || node.callFrame.functionName === "(program)") continue
  busy++
  const leaf = nameOf(node.callFrame)
  self.set(leaf, (self.get(leaf) ?? 0) + 1)
  // Each function once per sample, however often it recurs on the stack.
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const name = nameOf(byId.get(cur)!.callFrame)
    if (seen.has(name)) continue
    seen.add(name)
    inclusive.set(name, (inclusive.get(name) ?? 0) + 1)
  }
}

const table = (title: string, counts: Map<string, number>) => {
  console.log(`\n| ${title} | share of busy samples |\n| --- | --- |`)
  for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| \`${name}\` | ${((100 * count) / busy).toFixed(1)} % |`)
  }
}
console.log(`${busy} busy samples of ${considered}`)
table("self time", self)
table("inclusive time", inclusive)
