/**
 * The overload benchmark's `--line` / `--lines` (bench/overload/lines.ts): parsing,
 * the order of a pass, run ids, where a set's files go, the runs' labels and
 * the side-by-side table of the two lines.
 */
import { describe, expect, it } from "@effect/vitest"
import { effect3Only, idSuffix, type Line, linesOutDir, linesTable, parseLines, passOrder, type Server } from "../bench/overload/lines.js"
import { label, type RunReport } from "../bench/overload/report.js"

const server = (line: Line, build: "current" | "baseline" = "current"): Server => ({
  line,
  build,
  entry: `${line}/server.mjs`,
  node: "node",
  description: line
})

const run = (line: Line | undefined, mode: "with" | "without", pass: number, rss: number): RunReport =>
  ({
    id: `embedded-${mode}-600${line === "effect4" ? "-effect4" : ""}`,
    database: "embedded",
    mode,
    peak: 600,
    pinned: false,
    pass,
    line,
    figures: { fileSpikeMedianRatio: 0.9, fileMinRatio: 0.8, busyMaxMs: 2100 },
    process: { serverPeakRssMb: rss }
  }) as unknown as RunReport

describe("--line and --lines", () => {
  it("parses either option, effect3 by default, refusing unknown, repeated or both", () => {
    expect(parseLines(undefined, undefined)).toEqual(["effect3"])
    expect(parseLines("effect4", undefined)).toEqual(["effect4"])
    expect(parseLines(undefined, "effect3, effect4")).toEqual(["effect3", "effect4"])
    expect(parseLines(undefined, "effect4,effect3")).toEqual(["effect4", "effect3"])
    expect(() => parseLines("effect5", undefined)).toThrow(/--line: unknown line "effect5"/)
    expect(() => parseLines("effect3,effect4", undefined)).toThrow(/--line takes one line/)
    expect(() => parseLines(undefined, "effect3,effect3")).toThrow(/repeated/)
    expect(() => parseLines(undefined, "")).toThrow(/no line/)
    expect(() => parseLines("effect3", "effect4")).toThrow(/give one of them/)
  })

  it("runs the servers as listed on odd passes and reversed on even ones", () => {
    const servers = [server("effect3"), server("effect4")]
    expect(passOrder(servers, 1).map((s) => s.line)).toEqual(["effect3", "effect4"])
    expect(passOrder(servers, 2).map((s) => s.line)).toEqual(["effect4", "effect3"])
    expect(passOrder(servers, 3).map((s) => s.line)).toEqual(["effect3", "effect4"])
    // The list itself is left as it was.
    expect(servers.map((s) => s.line)).toEqual(["effect3", "effect4"])
  })

  it("suffixes the files of Effect 4 and baseline runs only", () => {
    expect(idSuffix(server("effect3"))).toBe("")
    expect(idSuffix(server("effect4"))).toBe("-effect4")
    expect(idSuffix(server("effect3", "baseline"))).toBe("-baseline")
  })

  it("never writes a set with the Effect 4 line into a published directory", () => {
    expect(effect3Only(["effect3"])).toBe(true)
    expect(effect3Only(["effect3", "effect4"])).toBe(false)
    expect(linesOutDir(["effect3"], "docs/bench")).toBe("docs/bench")
    expect(linesOutDir(["effect4"], "docs/bench")).toBe(".bench-out/bench-effect4")
    expect(linesOutDir(["effect3", "effect4"], "docs/bench/unpinned")).toBe(".bench-out/bench/unpinned-effect3-effect4")
    expect(linesOutDir(["effect4"], ".bench-out/demo")).toBe(".bench-out/demo")
  })

  it("labels each run with its line, and runs from before lines as they were", () => {
    expect(label(run("effect4", "with", 1, 600))).toBe("embedded, with limiting, peak 600, Effect 4")
    expect(label(run("effect3", "with", 1, 600))).toBe("embedded, with limiting, peak 600, Effect 3")
    expect(label(run(undefined, "with", 1, 600))).toBe("embedded, with limiting, peak 600")
  })

  it("tables the lines side by side per peak and mode, medians over the passes", () => {
    expect(linesTable([run("effect3", "with", 1, 600), run(undefined, "with", 2, 610)])).toBe("")
    const table = linesTable([
      run("effect3", "with", 1, 600),
      run("effect4", "with", 1, 500),
      run("effect4", "with", 2, 520),
      run("effect3", "without", 1, 700)
    ]).split("\n")
    expect(table[0]).toMatch(/^\| Peak, mode \| Line \| \/file spike median \|/)
    expect(table.slice(2).map((row) => row.split(" | ").slice(0, 2).join(" | "))).toEqual([
      "| 600, with | Effect 3",
      "| 600, with | Effect 4",
      "| 600, without | Effect 3"
    ])
    expect(table[3]).toMatch(/ 510 \(500–520\) \|$/)
  })
})
