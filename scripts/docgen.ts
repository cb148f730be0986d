/**
 * Generates the API reference, docs/api/, from the JSDoc of the public
 * modules with `@effect/docgen`, configured in docgen.json: src/*.ts, but
 * src/internal/ (not public) and src/index.ts (it only re-exports the
 * modules as namespaces, and docgen would give its first re-export the
 * module's own comment):
 *
 *   npm run docgen
 *
 * docgen refuses an export without `@since`, a description or an `@example`,
 * then type-checks the examples it extracts (with docgen.json's
 * `examplesCompilerOptions`) and runs them all in one `tsx` process: it has
 * no way to check without running (`--no-run-examples` turns off both). So an
 * example must be safe to run: it may run a short in-memory program, but it
 * defines servers, layers and long-running programs without launching them.
 * An example that hangs all the same stops this script after `timeoutMillis`.
 * docgen leaves the examples of a failed run in docs/api/examples/ (git
 * ignores it), named after the module and export, where tsc's errors point.
 *
 * Around docgen, this script:
 *
 * - links docs/src to ../src while docgen runs: docgen rewrites an example's
 *   imports of `effect-concurrency-limiter` to `../../src`, relative to
 *   `<outDir>/examples/`, which for docs/api is docs/src;
 * - makes the pages read well on GitHub, where they are browsed: a title in
 *   place of the Jekyll header (which docgen's prettier mangles), a link to
 *   the source line of each export, and docs/api/README.md, the list of
 *   modules, in place of docgen's Jekyll scaffolding (index.md, _config.yml).
 *
 * CI runs it and fails when docs/api changed: commit what it generates.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

const root = path.resolve(import.meta.dirname, "..")
const srcDir = path.join(root, "src")
const outDir = path.join(root, "docs", "api")
const modulesDir = path.join(outDir, "modules")
const timeoutMillis = 5 * 60_000

// docgen runs `tsc` and `tsx` by name.
const env = { ...process.env, PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` }

const runDocgen = (): Promise<number> =>
  new Promise((resolve, reject) => {
    // Its own process group, so that a timeout stops the tsc or tsx it started too.
    const child = spawn(path.join(root, "node_modules", ".bin", "docgen"), [], {
      cwd: root,
      env,
      stdio: "inherit",
      detached: true
    })
    const timer = setTimeout(() => {
      console.error(`docgen did not finish within ${timeoutMillis / 1000} s (an example that never ends?): stopping it`)
      process.kill(-child.pid!, "SIGKILL")
    }, timeoutMillis)
    // Detached, it would not hear a Ctrl-C of the terminal.
    process.once("SIGINT", () => process.kill(-child.pid!, "SIGINT"))
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      resolve(code ?? (signal === null ? 1 : 128))
    })
  })

// --- Links to the sources -------------------------------------------------

interface Declaration {
  readonly line: number
  readonly members: Map<string, Declaration>
}

const lineOf = (sourceFile: ts.SourceFile, node: ts.Node): number =>
  sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1

const isExported = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

/**
 * The exports of a module, keyed as docgen titles their sections: `name` for
 * a constant or a function, `Name (interface)`, `Name (type alias)`,
 * `Name (class)`, `Name (namespace)`, `From "./X.js"` for a re-export; the
 * members of a class or a namespace under their own.
 */
const declarationsOf = (file: string): Map<string, Declaration> => {
  const sourceFile = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const collect = (statements: ReadonlyArray<ts.Statement>): Map<string, Declaration> => {
    const found = new Map<string, Declaration>()
    const add = (key: string, node: ts.Node, members = new Map<string, Declaration>()) => {
      if (!found.has(key)) found.set(key, { line: lineOf(sourceFile, node), members })
    }
    for (const statement of statements) {
      if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined) {
        add(`From ${statement.moduleSpecifier.getText(sourceFile)}`, statement)
      }
      if (!isExported(statement)) continue
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) add(declaration.name.getText(sourceFile), statement)
      } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
        add(statement.name.text, statement)
      } else if (ts.isInterfaceDeclaration(statement)) {
        add(`${statement.name.text} (interface)`, statement)
      } else if (ts.isTypeAliasDeclaration(statement)) {
        add(`${statement.name.text} (type alias)`, statement)
      } else if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
        const members = new Map<string, Declaration>()
        for (const member of statement.members) {
          if (member.name === undefined) continue
          const isStatic = ts.canHaveModifiers(member) &&
            (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword)
          const kind = ts.isMethodDeclaration(member)
            ? (isStatic ? "static method" : "method")
            : ts.isPropertyDeclaration(member)
            ? (isStatic ? "static property" : "property")
            : undefined
          const key = `${member.name.getText(sourceFile)} (${kind})`
          if (kind !== undefined && !members.has(key)) members.set(key, { line: lineOf(sourceFile, member), members: new Map() })
        }
        add(`${statement.name.text} (class)`, statement, members)
      } else if (ts.isModuleDeclaration(statement) && statement.body !== undefined && ts.isModuleBlock(statement.body)) {
        add(`${statement.name.getText(sourceFile)} (namespace)`, statement, collect(statement.body.statements))
      }
    }
    return found
  }
  return collect(sourceFile.statements)
}

const addSourceLinks = (page: string, moduleName: string): string => {
  const sourceFile = path.join(srcDir, `${moduleName}.ts`)
  const href = path.relative(modulesDir, sourceFile).split(path.sep).join("/")
  const declarations = declarationsOf(sourceFile)
  const unresolved: Array<string> = []
  let current: Declaration | undefined
  // The line to link to for the section being read, put in before the
  // "Added in" line that ends every section (docgen.json enforces `@since`).
  let pending: string | undefined
  const lines = page.split("\n").flatMap((line) => {
    const heading = /^(##|###) (.+)$/.exec(line)
    if (heading !== null) {
      const [, level, title] = heading as unknown as [string, string, string]
      if (level === "##" && title === `${moduleName} overview`) {
        pending = `[Source](${href})`
        return [line]
      }
      const declaration = level === "##" ? declarations.get(title) : current?.members.get(title)
      if (level === "##") current = declaration
      if (declaration === undefined) unresolved.push(`${level} ${title}`)
      pending = declaration === undefined ? undefined : `[Source](${href}#L${declaration.line})`
      return [line]
    }
    if (line.startsWith("Added in v") && pending !== undefined) {
      const link = pending
      pending = undefined
      return [link, "", line]
    }
    return [line]
  })
  if (unresolved.length > 0) {
    throw new Error(`docs/api/modules/${moduleName}.ts.md: no declaration in src/${moduleName}.ts for ${unresolved.join(", ")}`)
  }
  return lines.join("\n")
}

// --- Pages -----------------------------------------------------------------

// docgen heads each page with Jekyll front matter, which prettier (that
// formats the page) turns into a rule and a setext heading.
const jekyllHeader = /^(?:\*\*\*|---)\n\n?title: .+\nnav_order: \d+\nparent: Modules\n---\n/

const rewritePage = (moduleName: string): string => {
  const file = path.join(modulesDir, `${moduleName}.ts.md`)
  const page = fs.readFileSync(file, "utf8")
  if (!jekyllHeader.test(page)) throw new Error(`${file}: not the header docgen writes; update scripts/docgen.ts`)
  const rewritten = addSourceLinks(page.replace(jekyllHeader, `# ${moduleName}\n`), moduleName)
  fs.writeFileSync(file, rewritten)
  return rewritten
}

/** The first sentence of a page's overview, on one line. */
const summaryOf = (page: string, moduleName: string): string => {
  const overview = page.split(`## ${moduleName} overview\n\n`)[1] ?? ""
  const paragraph = (overview.split("\n\n")[0] ?? "").replace(/\s*\n\s*/g, " ").trim()
  return paragraph.split(/(?<=\.)\s+(?=[A-Z])/)[0] ?? paragraph
}

const writeIndex = (summaries: ReadonlyArray<readonly [string, string]>): void => {
  const rows = summaries.map(([name, summary]) =>
    `| [${name}](modules/${name}.ts.md) | ${summary.replaceAll("|", "\\|")} |`
  )
  fs.writeFileSync(
    path.join(outDir, "README.md"),
    [
      "# API reference",
      "",
      "Generated from the JSDoc of `src/` by `npm run docgen`: edit the sources, not these pages.",
      "Each module is a namespace of the package: `import { Limiter } from \"effect-concurrency-limiter\"`.",
      "",
      "| Module | |",
      "| --- | --- |",
      ...rows,
      ""
    ].join("\n")
  )
}

const main = async (): Promise<number> => {
  const link = path.join(root, "docs", "src")
  fs.rmSync(link, { force: true })
  fs.symlinkSync(path.join("..", "src"), link)
  let code: number
  try {
    code = await runDocgen()
  } finally {
    fs.rmSync(link, { force: true })
  }
  if (code !== 0) return code

  // docgen's Jekyll scaffolding: a site's home page, navigation and theme.
  for (const file of ["index.md", "_config.yml", path.join("modules", "index.md")]) {
    fs.rmSync(path.join(outDir, file), { force: true })
  }
  const modules = fs.readdirSync(modulesDir)
    .filter((file) => file.endsWith(".ts.md"))
    .map((file) => file.slice(0, -".ts.md".length))
    .sort()
  writeIndex(modules.map((name) => [name, summaryOf(rewritePage(name), name)] as const))
  console.log(`docs/api: ${modules.length} modules, with links to their sources`)
  return 0
}

process.exitCode = await main()
