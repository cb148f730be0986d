/**
 * Type-checks every TypeScript code block of the docs: the Markdown docs and
 * the JSDoc of the public modules.
 *
 *   npm run check:docs
 *
 * The convention: every ```ts (or ```typescript) block in README.md,
 * CONTRIBUTING.md, docs/**\/*.md, the packages' README.md and the JSDoc
 * comments of src/*.ts and packages/effect4/src/*.ts is a
 * complete module — it imports what it uses and declares what it names — and
 * it is checked. There is no opt-out: what is not code goes in prose or in a
 * ```text block. docs/api is left out: `npm run docgen` generates it from the
 * JSDoc, whose examples are checked here where they are written (docgen also
 * checks and runs most of them, but not those of a class or of an
 * interface's member).
 *
 * Each block is a file of its own (in memory, named after the doc and the
 * line of its opening fence, e.g. `README.md-120.ts`), checked with the
 * repo's tsconfig.json, so `effect-concurrency-limiter` and its subpaths
 * resolve to src/ through its `paths`; all blocks are one program, so their
 * dependencies are checked once. Two settings differ from tsconfig.json:
 * every block is a module (`moduleDetection: "force"`), and of the unused
 * names only imports are errors, since a snippet's point is often a value it
 * declares and does not use (a layer, a program).
 *
 * A block that imports `@effect-concurrency-limiter/effect4`, and every block
 * of packages/effect4's JSDoc, is the Effect 4 line's: it is checked in a
 * second program, with packages/effect4/tsconfig.json and as a file in that
 * directory, so that `effect` resolves to Effect 4 there.
 *
 * Errors are printed at the doc's line and column (`README.md:131:7`), and any
 * error makes the exit code 1.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

const root = path.resolve(import.meta.dirname, "..")

interface Block {
  /** The doc, relative to the repo root. */
  readonly doc: string
  /** The 1-based line of the opening fence. */
  readonly fenceLine: number
  readonly code: string
  /** Where each line of `code` is in the doc: its 1-based line, and the column its text starts at. */
  readonly origins: ReadonlyArray<{ readonly line: number; readonly column: number }>
  /** The in-memory file the block is checked as. */
  readonly fileName: string
  /** The Effect line whose program checks it. */
  readonly line: Line
}

/** A line of a doc, with where its text starts (after a list item's or a comment's indentation). */
interface DocLine {
  readonly text: string
  readonly line: number
  readonly column: number
}

const markdownFiles = (): Array<string> => {
  const files = ["README.md", "CONTRIBUTING.md", "packages/effect4/README.md", "packages/core/README.md"].filter((file) => fs.existsSync(path.join(root, file)))
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.posix.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (relative !== "docs/api") walk(relative)
      } else if (entry.name.endsWith(".md")) {
        files.push(relative)
      }
    }
  }
  if (fs.existsSync(path.join(root, "docs"))) walk("docs")
  return files.sort()
}

/** The public modules of both lines, whose JSDoc examples are checked too. */
const sourceFiles = (): Array<string> =>
  ["src", "packages/effect4/src"].flatMap((dir) =>
    fs.readdirSync(path.join(root, dir)).filter((file) => file.endsWith(".ts")).map((file) => `${dir}/${file}`).sort()
  )

/** The two programs: the Effect 3 line's at the root, the Effect 4 line's in its package. */
interface Line {
  readonly name: string
  /** The directory the line's blocks are checked in, and whose tsconfig.json they use. */
  readonly dir: string
}
const effect3: Line = { name: "Effect 3", dir: root }
const effect4: Line = { name: "Effect 4", dir: path.join(root, "packages/effect4") }
const lineOf = (doc: string, code: string): Line =>
  doc.startsWith("packages/effect4/") || /from\s+["']@effect-concurrency-limiter\/effect4(\/[^"']*)?["']/.test(code) ? effect4 : effect3

const readLines = (doc: string): Array<string> => fs.readFileSync(path.join(root, doc), "utf8").split(/\r?\n/)

const markdownLines = (doc: string): Array<DocLine> => readLines(doc).map((text, i) => ({ text, line: i + 1, column: 1 }))

/** The lines inside JSDoc comments, without their ` * ` margin. */
const jsDocLines = (doc: string): Array<DocLine> => {
  const lines: Array<DocLine> = []
  let inside = false
  readLines(doc).forEach((text, i) => {
    if (!inside && /^\s*\/\*\*/.test(text)) inside = true
    if (inside) {
      const margin = /^\s*(?:\/\*\*|\*\/|\*(?!\/))? ?/.exec(text)![0].length
      lines.push({ text: text.slice(margin).replace(/\*\/\s*$/, ""), line: i + 1, column: margin + 1 })
    }
    if (inside && text.includes("*/")) inside = false
  })
  return lines
}

// A fence opens with 3+ backticks or tildes; it closes with the same
// character, at least as many, and nothing else on the line. Blocks in other
// languages are tracked too, so that a ```ts line inside a ```md block is not
// taken for a block of its own.
const openingFence = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/
const isTypeScript = (info: string): boolean => ["ts", "typescript"].includes(info.toLowerCase())

const extractBlocks = (doc: string, lines: ReadonlyArray<DocLine>): Array<Block> => {
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    const open = openingFence.exec(lines[i]!.text)
    if (open === null) continue
    const [, indentation, fence, info] = open as unknown as [string, string, string, string]
    const closing = new RegExp(`^\\s*${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && !closing.test(lines[end]!.text)) end++
    if (isTypeScript(info)) {
      const body = lines.slice(i + 1, end).map(({ column, line, text }) => {
        const indent = Math.min(indentation.length, text.search(/\S|$/))
        return { text: text.slice(indent), line, column: column + indent }
      })
      const fenceLine = lines[i]!.line
      const code = body.map(({ text }) => text).join("\n") + "\n"
      const line = lineOf(doc, code)
      blocks.push({
        doc,
        fenceLine,
        code,
        origins: body,
        fileName: path.join(line.dir, ".doc-blocks", `${doc.replaceAll("/", "_")}-${fenceLine}.ts`),
        line
      })
    }
    i = end
  }
  return blocks
}

const readCompilerOptions = (dir: string): ts.CompilerOptions => {
  const configPath = path.join(dir, "tsconfig.json")
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dir, undefined, configPath)
  return {
    ...parsed.options,
    noEmit: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
    noUnusedLocals: true,
    noUnusedParameters: false
  }
}

// "declared but never read" and its variants: kept only for imports.
const unusedCodes = new Set([6133, 6192, 6196, 6198, 6205])

const isInImport = (sourceFile: ts.SourceFile, position: number): boolean => {
  let found = false
  const visit = (node: ts.Node): void => {
    if (found || position < node.getFullStart() || position >= node.getEnd()) return
    if (ts.isImportDeclaration(node)) {
      found = true
      return
    }
    ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  return found
}

/** Checks one line's blocks; the number of errors. */
const check = (line: Line, blocks: ReadonlyArray<Block>, docCount: number): number => {
  const byFileName = new Map(blocks.map((block) => [block.fileName, block]))

  const options = readCompilerOptions(line.dir)
  const host = ts.createCompilerHost(options, true)
  const { fileExists, getSourceFile, readFile } = host
  host.fileExists = (fileName) => byFileName.has(fileName) || fileExists.call(host, fileName)
  host.readFile = (fileName) => byFileName.get(fileName)?.code ?? readFile.call(host, fileName)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const block = byFileName.get(fileName)
    return block !== undefined
      ? ts.createSourceFile(fileName, block.code, languageVersion, true)
      : getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate)
  }

  const started = Date.now()
  const program = ts.createProgram([...byFileName.keys()], options, host)
  // The blocks' own diagnostics only: what they import (src/, the
  // dependencies) is checked by `tsc --noEmit`, and checking it here too
  // would take most of the time.
  const blockFiles = program.getSourceFiles().filter((sourceFile) => byFileName.has(sourceFile.fileName))
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...blockFiles.flatMap((sourceFile) => [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile)
    ])
  ].filter((diagnostic) =>
    !(unusedCodes.has(diagnostic.code) && diagnostic.file !== undefined && diagnostic.start !== undefined &&
      !isInImport(diagnostic.file, diagnostic.start))
  )

  const failed = new Set<Block>()
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")
    const category = ts.DiagnosticCategory[diagnostic.category].toLowerCase()
    if (diagnostic.file === undefined || diagnostic.start === undefined) {
      console.error(`${category} TS${diagnostic.code}: ${message}`)
      continue
    }
    const { character, line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    const block = byFileName.get(diagnostic.file.fileName)
    if (block === undefined) {
      // Not a block's (an option's, say): as it is.
      const file = path.relative(root, diagnostic.file.fileName)
      console.error(`${file}:${line + 1}:${character + 1} - ${category} TS${diagnostic.code}: ${message}`)
      continue
    }
    failed.add(block)
    const origin = block.origins[line] ?? { line: block.fenceLine + 1 + line, column: 1 }
    const source = block.code.split("\n")[line] ?? ""
    console.error(
      `${block.doc}:${origin.line}:${origin.column + character} - ${category} TS${diagnostic.code}: ${message}\n` +
        `    ${source.trim()}\n`
    )
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const summary = `${line.name}: ${blocks.length} TypeScript blocks in ${docCount} files, checked in ${seconds} s`
  if (diagnostics.length === 0) {
    console.log(`${summary}: no errors.`)
    return 0
  }
  console.error(
    `${summary}: ${diagnostics.length} errors in ${failed.size} blocks` +
      (failed.size > 0 ? ` (${[...failed].map((block) => `${block.doc}:${block.fenceLine}`).join(", ")})` : "") +
      "."
  )
  return diagnostics.length
}

const main = (): number => {
  const docs = [...markdownFiles(), ...sourceFiles()]
  const blocks = docs.flatMap((doc) => extractBlocks(doc, doc.endsWith(".md") ? markdownLines(doc) : jsDocLines(doc)))
  let errors = 0
  for (const line of [effect3, effect4]) {
    const own = blocks.filter((block) => block.line === line)
    errors += check(line, own, new Set(own.map((block) => block.doc)).size)
  }
  return errors === 0 ? 0 : 1
}

process.exitCode = main()
