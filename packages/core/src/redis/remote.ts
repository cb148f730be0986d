/**
 * A resource held in Redis as one replica sees it: its guards' waits and
 * leases, by id, and what its events feed. Both lines' `RedisLimiter` keep
 * these; `permits.ts`, `acquisition.ts` and `heartbeat.ts` move them.
 */
import type { ResourceKeys } from "./keys.js"
import type { ScriptArgs } from "./scripts.js"

/** The longest delay a Node timer keeps: `setTimeout` fires a longer one after 1 ms. */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/**
 * Why a permit was not granted. `"closed"`: the layer closed while the guard
 * waited (refused as unavailable, never admitted through the local share of
 * a layer that is gone).
 */
export type Refusal = "timeout" | "queue-full" | "unavailable" | "closed"

/** What a resource's events feed: the metrics of this replica's view of it (the core's `ResourceSeries` has it). */
export interface RemoteObserver {
  capacity(capacity: number): void
  /** This replica's holders and waiters of the resource, now. */
  changed(inUse: number, waiting: number): void
  acquired(waitedMillis: number): void
  /** A refusal for an unreachable Redis is not an acquisition outcome: only the log tells it. */
  failed(outcome: "timeout" | "queue-full" | "interrupted", waitedMillis: number): void
  released(heldMillis: number): void
}

/** A resource as this replica sees it. */
export class RemoteResource {
  /** Guards of this replica queued in Redis, by id. */
  readonly waiting = new Map<string, Wait>()
  /** Leases held by guards of this replica, by id. */
  readonly leases = new Map<string, Lease>()

  constructor(
    readonly name: string,
    readonly keys: ResourceKeys,
    /** Replaced, not mutated, when the capacity changes: a call in flight keeps what it sent. */
    public args: ScriptArgs,
    public maxWaiting: number,
    /** `null` when the layer's `metrics` option is off. */
    readonly metrics: RemoteObserver | null
  ) {}

  /** Updates this replica's gauges of the resource. */
  changed(): void {
    this.metrics?.changed(this.leases.size, this.waiting.size)
  }
}

/** A permit held in Redis by a guard of this replica. */
export interface Lease {
  readonly id: string
  readonly resource: RemoteResource
  /** Tells the guard that the lease is lost (not renewed in time): it stops the guarded effect. */
  readonly lost: () => void
  /** Local time (ms) it was granted, for the hold time. */
  readonly grantedAt: number
  /**
   * Local time (ms) until which Redis surely keeps the lease: the send time
   * of the last call that set its expiry, plus the TTL. Redis's expiry is
   * later, as Redis ran that call after it was sent.
   */
  expiresAt: number
}

/** A guard of this replica queued in Redis. */
export interface Wait {
  readonly id: string
  readonly resource: RemoteResource
  /**
   * Local time (ms) until which Redis surely keeps the wait's queue entry
   * alive: the send time of the last call that refreshed it, plus the queue
   * TTL. A permit granted to the wait expires then unless renewed: a dead
   * replica's waiter is never granted more than the rest of its heartbeat.
   */
  aliveUntil: number
  /** Takes the permit Redis granted, as of local time `at` (ignored once the wait is over). */
  readonly grant: (at: number) => void
  /** Gives up, telling Redis (ignored once the wait is over). */
  readonly refuse: (refusal: Refusal) => void
}
