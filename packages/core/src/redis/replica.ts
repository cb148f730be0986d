/**
 * One replica of a `RedisLimiter` layer: its id, its view of each resource
 * (`RemoteResource`), the grants it hears on its channels, its local share
 * for when Redis is unreachable, and what it does when the layer closes.
 * Each line's layer builds one and wires it to its Redis client.
 */
import type { Scripts } from "./client.js"
import { Heartbeat, type Liveness, periodOf } from "./heartbeat.js"
import { grantChannel, keysOf } from "./keys.js"
import { Permits } from "./permits.js"
import { type RemoteObserver, RemoteResource } from "./remote.js"

/** The permits of a replica's local share: what it admits alone while Redis is unreachable (fail open). */
export const localShare = (capacity: number, replicas: number): number => Math.max(1, Math.floor(capacity / replicas))

/** A resource's settings as the layer read them. */
export interface ResourceSettings {
  readonly name: string
  readonly capacity: number
  readonly maxWaiting: number
}

/** A resource's counts, as a `Limiter`'s `stats` gives them. */
export interface ResourceStats {
  readonly resource: string
  readonly capacity: number
  readonly inUse: number
  readonly waiting: number
  readonly maxWaiting: number
}

/** One replica's resources, in the layer's order. */
export class Replica {
  /** Unique per replica and layer, and without ":" (the scripts split ids on it). */
  readonly id = `${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  readonly remote: ReadonlyArray<RemoteResource>
  private readonly byChannel: Map<string, RemoteResource>
  /** Built once connected (`start`); Redis may come back before that. */
  private heartbeat: Heartbeat | undefined

  constructor(
    prefix: string,
    resources: ReadonlyArray<ResourceSettings>,
    readonly leaseTtlMillis: number,
    /** `null` when the layer's `metrics` option is off. */
    observerOf: (name: string) => RemoteObserver | null
  ) {
    this.remote = resources.map(({ capacity, maxWaiting, name }) => {
      const keys = keysOf(prefix, name)
      return new RemoteResource(
        name,
        keys,
        { channel: keys.channel, capacity, leaseTtlMillis, queueTtlMillis: leaseTtlMillis },
        maxWaiting,
        observerOf(name)
      )
    })
    for (const r of this.remote) {
      r.metrics?.capacity(r.args.capacity)
      r.changed()
    }
    this.byChannel = new Map(this.remote.map((r) => [grantChannel(r.keys, this.id), r]))
  }

  /**
   * Once connected: the permits on `scripts`, and the heartbeat over them
   * (`liveness`: see `Heartbeat`), which the line runs on its own loop.
   */
  start(
    scripts: Scripts,
    liveness: Liveness | null,
    onReleaseError: (error: unknown) => void,
    log: (message: string) => void
  ): { readonly permits: Permits; readonly heartbeat: Heartbeat } {
    const permits = new Permits(scripts, this.id, this.leaseTtlMillis, onReleaseError)
    const heartbeat = this.heartbeat = new Heartbeat(permits, this.remote, liveness, periodOf(this.leaseTtlMillis), log)
    return { permits, heartbeat }
  }

  /** Redis is reachable again: beats at once (nothing before `start`). */
  recovered(): void {
    this.heartbeat?.beat()
  }

  /** The channels this replica's grants are published on: one per resource. */
  get channels(): Array<string> {
    return [...this.byChannel.keys()]
  }

  /** A message on a grant channel: the ids granted, space-separated. */
  onMessage(channel: string, message: string): void {
    const resource = this.byChannel.get(channel)
    if (resource === undefined) return
    const now = Date.now()
    for (const id of message.split(" ")) resource.waiting.get(id)?.grant(now)
  }

  /** What the log says the layer does while Redis is unreachable. */
  whileDown(failure: "closed" | "open", replicas: number): string {
    return failure === "closed"
      ? "failing closed: guards answer BusyError (reason \"unavailable\") at once until it is back"
      : `failing open: each replica admits its local share (${
        this.remote.map((r) => `${r.name} ${localShare(r.args.capacity, replicas)}`).join(", ")
      }) until it is back`
  }

  /** The sorted sets whose `ZCARD`s are the resources' counts (holders, waiters), two per resource in order. */
  get countedKeys(): Array<string> {
    return this.remote.flatMap((r) => [r.keys.keys[0], r.keys.keys[1]])
  }

  /**
   * The resources' stats from the `ZCARD`s of `countedKeys` (all replicas
   * together); where a count is missing (Redis unreachable), `fallback`'s
   * (this replica's local share).
   */
  stats(
    counts: ReadonlyArray<unknown>,
    fallback: (i: number) => { readonly inUse: number; readonly waiting: number }
  ): Array<ResourceStats> {
    return this.remote.map((r, i) => {
      const [inUse, waiting] = [counts[2 * i], counts[2 * i + 1]]
      const local = fallback(i)
      return {
        resource: r.name,
        capacity: r.args.capacity,
        inUse: typeof inUse === "number" ? inUse : local.inUse,
        waiting: typeof waiting === "number" ? waiting : local.waiting,
        maxWaiting: r.maxWaiting
      }
    })
  }

  /** Sets the `i`th resource's capacity for the calls sent from now on. */
  setCapacity(i: number, capacity: number): void {
    const r = this.remote[i]
    r.args = { ...r.args, capacity }
    r.metrics?.capacity(capacity)
  }

  /**
   * Closing: guards still queued would wait for grants nobody will hear of.
   * They leave the queue and are refused (`"closed"`), never admitted
   * through the local share (it closes with the layer). Guards still
   * holding keep their leases, which expire within the TTL if not released.
   */
  refuseWaiting(): void {
    for (const resource of this.remote) {
      for (const wait of [...resource.waiting.values()]) wait.refuse("closed")
    }
  }
}
