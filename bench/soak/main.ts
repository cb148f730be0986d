/**
 * The soak (issue 13): the overload demo's one-minute spike (hold 10 /messages
 * VUs, ramp to 600, drop, tail; 2 VUs on /file throughout), N times back to
 * back against one server process on the embedded database, limiter on with
 * the example's defaults (Db 5, Fs 10, timeout 5 s). Every second: the
 * server's RSS and CPU (/proc), heap used and left by the latest major GC,
 * event-loop delay (its probe, `bench/shared/probe.ts`), and the load's requests by
 * status. After each spike the probe forces a full GC with the load stopped.
 *
 *   npm run soak -- --minutes 10 [--publish] [--out <dir>] [--scale 0.1] [--peak 600] [--quiet]
 *
 * Fails (exit 1) if the heap after the full GC grew by more than 10 % from the
 * first spike to the last, if any request ended other than 200 or 503
 * (timeouts and connection errors included), or if a spike served no 200.
 * Writes the chart (SVG) and the CSVs to `--out` (default `.bench-out/soak`),
 * and with `--publish` also to `docs/soak/` with a summary (`README.md`).
 * `--scale` shortens every stage (smoke tests); `--heap-mb` is the server's
 * old-space budget (default 192, as the overload benchmark's; 0: V8's own).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { renderSpec } from "../overload/chart.js"
import { soakChartSpec } from "./chart.js"
import { spikeTable, spikesCsv, summaryLines, timelineCsv } from "./report.js"
import { runSoak } from "./run.js"

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    out: { type: "string", default: ".bench-out/soak" },
    publish: { type: "boolean", default: false },
    scale: { type: "string", default: "1" },
    peak: { type: "string", default: "600" },
    "heap-mb": { type: "string", default: "192" },
    quiet: { type: "boolean", default: false }
  }
})

const spikes = Number.parseInt(args.minutes, 10)
if (!(spikes >= 2 && spikes <= 120)) throw new Error(`--minutes must be 2 to 120 (the verdict compares the first spike with the last), got ${args.minutes}`)
const scale = Number(args.scale)
if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${args.scale}`)
const peak = Number.parseInt(args.peak, 10)
if (!(peak >= 10)) throw new Error(`--peak must be at least 10, got ${args.peak}`)
const heapMb = Number.parseInt(args["heap-mb"], 10)
const outDir = path.resolve(args.out)
const publishDir = path.resolve("docs/soak")

const machine = () => {
  const cpus = os.cpus()
  return `${cpus.length} × ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`
}

const f = (x: number, width: number) => (Number.isFinite(x) ? x.toFixed(0) : "-").padStart(width)

console.log(
  `soak: ${spikes} spikes of ${scale === 1 ? "one minute" : `the demo's minute × ${scale}`} to ${peak} /messages VUs, ` +
    `embedded database, limiter on (Db 5, Fs 10, timeout 5 s), server heap budget ${heapMb > 0 ? `${heapMb} MiB` : "V8's default"}`
)
if (!args.quiet) console.log("   t | spike | msg VUs   req/s    200    503  other")
const result = await runSoak({
  spikes,
  peak,
  scale,
  heapMb,
  workDir: outDir,
  log: (line) => console.log(line),
  onSecond: (spike, rows) => {
    const t = rows[0]?.t ?? 0
    if (args.quiet || t % 5 !== 0) return
    const sum = (g: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + g(r), 0)
    const vus = rows.find((r) => r.endpoint === "/messages")?.vus ?? Number.NaN
    console.log(
      `${f(t, 4)} | ${f(spike, 5)} | ${f(vus, 7)} ${f(sum((r) => r.requests), 7)} ${f(sum((r) => r.ok), 6)} ${f(sum((r) => r.busy), 6)} ${
        f(sum((r) => r.timeouts + r.errors), 6)
      }`
    )
  }
})

const title = `Soak: ${spikes} × the overload demo's spike (peak ${peak} VUs${scale === 1 ? "" : `, stages × ${scale}`}), embedded database, limiter on`
const table = spikeTable(result.table)
const lines = summaryLines(result)
console.log(`\n${table}\n\n${lines.join("\n")}`)
const others = result.errorKinds.flatMap((kinds, i) => Object.keys(kinds).length === 0 ? [] : [`spike ${i + 1}: ${JSON.stringify(kinds)}`])
if (others.length > 0) console.log(`other errors: ${others.join("; ")} (server log: ${path.relative(process.cwd(), path.join(outDir, "server.log"))})`)

const svg = await renderSpec(soakChartSpec(result.timeline, result.spikes, title))
const write = (dir: string) => {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "soak.svg"), svg)
  fs.writeFileSync(path.join(dir, "samples.csv"), timelineCsv(result.timeline))
  fs.writeFileSync(path.join(dir, "spikes.csv"), spikesCsv(result.table))
}
write(outDir)
console.log(`\nwrote ${path.relative(process.cwd(), outDir)}/{soak.svg,samples.csv,spikes.csv}`)
if (args.publish) {
  write(publishDir)
  fs.writeFileSync(
    path.join(publishDir, "README.md"),
    [
      "# Soak",
      "",
      `\`npm run soak -- --minutes ${spikes}${scale === 1 ? "" : ` --scale ${scale}`}${peak === 600 ? "" : ` --peak ${peak}`} --publish\`. ` +
      `Machine: ${machine()}.`,
      "",
      `${spikes} spikes back to back against one server process (the example built to plain JS, embedded database, ` +
      `limiter on: Db 5, Fs 10, timeout 5 s; server heap budget ${heapMb > 0 ? `${heapMb} MiB` : "V8's default"}). ` +
      `After each spike, with the load stopped, the server runs a full GC and reports the heap left; the verdict compares the first spike's ` +
      `figure with the last's. \`samples.csv\` has one row per second, \`spikes.csv\` the table below.`,
      "",
      ...lines.map((l) => `- ${l}`),
      "",
      table,
      "",
      "![soak](soak.svg)",
      ""
    ].join("\n")
  )
  console.log(`published to ${path.relative(process.cwd(), publishDir)}/`)
}
if (!result.verdict.pass) {
  console.log("\nSOAK FAILED: " + result.verdict.checks.filter((c) => !c.pass).map((c) => `${c.criterion} (${c.detail})`).join("; "))
  process.exitCode = 1
} else {
  console.log("\nsoak passed")
}
