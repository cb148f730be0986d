/**
 * The `DataFile` service: the file behind `/file`, like the original
 * benchmark's 5,000 random characters read in 1 KiB chunks.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Context, Effect, Layer, Stream } from "effect"

/** The size of the file, in bytes (ASCII characters). */
export const fileSize = 5000

/** The size of each read. */
export const chunkSize = FileSystem.KiB(1)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A file the app reads on every `/file` request. */
export class DataFile extends Context.Tag("examples/DataFile")<DataFile, {
  /** Where the file lives. */
  readonly path: string
  /** Reads the whole file, one 1 KiB chunk at a time. */
  readonly read: Effect.Effect<string, PlatformError>
}>() {
  /**
   * Writes the file into a fresh temporary directory, removed again when the
   * layer's scope closes (at shutdown), so the example leaves nothing behind.
   */
  static readonly layer: Layer.Layer<DataFile, PlatformError, FileSystem.FileSystem> = Layer.scoped(
    DataFile,
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ecl-example-" })
      const path = `${dir}/data.txt`
      let text = ""
      for (let i = 0; i < fileSize; i++) text += alphabet[Math.floor(Math.random() * alphabet.length)]
      yield* fs.writeFileString(path, text)
      return {
        path,
        read: fs.stream(path, { chunkSize }).pipe(
          Stream.decodeText(),
          Stream.mkString,
          Effect.withSpan("DataFile.read")
        )
      }
    })
  )
}
