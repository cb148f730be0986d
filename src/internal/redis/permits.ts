/**
 * One replica's side of the permits held in Redis: its guards' waits and
 * leases, by resource, and the two moves a guard makes, acquire and release.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type { RemoteMetrics } from "./metrics.js"
import { Granted, NotFree, Queued, QueueFull, type ResourceKeys, type ScriptArgs, type Scripts } from "./scripts.js"

/** The longest delay a Node timer keeps: `setTimeout` fires a longer one after 1 ms. @internal */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** Why a permit was not granted. */
export type Refusal = "timeout" | "queue-full" | "unavailable"

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
    readonly metrics: RemoteMetrics | null
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
  /** The fiber running the guarded effect: interrupted if the lease is lost. */
  readonly holder: Fiber.RuntimeFiber<unknown, unknown>
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
  /** Takes the permit Redis granted, as of local time `at` (ignored once the wait is over). */
  readonly grant: (at: number) => void
  /** Gives up, telling Redis (ignored once the wait is over). */
  readonly refuse: (refusal: Refusal) => void
}

/** @internal */
export class Permits {
  private sequence = 0

  constructor(
    readonly scripts: Scripts,
    /** Unique per replica and layer: ids never collide across replicas. */
    readonly replicaId: string,
    readonly leaseTtlMillis: number,
    private readonly onReleaseError: (error: unknown) => void
  ) {}

  /**
   * Waits for one permit of `resource` until `deadline` (local ms;
   * `Infinity` for none). Interruptible: an interrupted or refused wait
   * leaves the queue in Redis, and hands on a permit granted meanwhile.
   */
  acquire(
    resource: RemoteResource,
    holder: Fiber.RuntimeFiber<unknown, unknown>,
    deadline: number
  ): Effect.Effect<Lease, Refusal> {
    return Effect.async<Lease, Refusal>((resume) => {
      const id = `${this.replicaId}:${++this.sequence}`
      const sentAt = Date.now()
      let done = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const finish = () => {
        done = true
        if (timer !== undefined) clearTimeout(timer)
        resource.waiting.delete(id)
      }
      const wait: Wait = {
        id,
        resource,
        grant: (at) => {
          if (done) return
          finish()
          const now = Date.now()
          const lease: Lease = { id, resource, holder, grantedAt: now, expiresAt: at + this.leaseTtlMillis }
          resource.leases.set(id, lease)
          resource.metrics?.acquired(now - sentAt)
          resource.changed()
          resume(Effect.succeed(lease))
        },
        refuse: (refusal) => {
          if (giveUp(refusal)) resume(Effect.fail(refusal))
        }
      }
      const giveUp = (why: Refusal | "interrupted") => {
        if (done) return false
        finish()
        this.releaseIds(resource, [id])
        if (why !== "unavailable") resource.metrics?.failed(why, Date.now() - sentAt)
        resource.changed()
        return true
      }
      // Listed before the call: the grant may be published before the reply arrives.
      resource.waiting.set(id, wait)
      resource.changed()
      const mayWait = deadline > sentAt
      // Armed now, not at the reply: a slow reply must not make the 503 late.
      // If it fires first, the release it sends runs after the acquire (one
      // connection, in order) and undoes it.
      // Node fires a timer longer than 2^31 - 1 ms at once: such a deadline
      // (some 25 days) is never met by a request, so it gets no timer.
      if (mayWait && deadline - sentAt <= MAX_TIMER_MILLIS) timer = setTimeout(() => wait.refuse("timeout"), deadline - sentAt)
      this.scripts.acquire(resource.keys, resource.args, id, resource.maxWaiting, mayWait).then(
        (answer) => {
          if (done) return
          if (answer === Granted) return wait.grant(sentAt)
          if (answer === Queued) return
          // Refused without being queued: nothing to take back.
          finish()
          const refusal = answer === QueueFull ? "queue-full" : answer === NotFree ? "timeout" : "unavailable"
          if (refusal !== "unavailable") resource.metrics?.failed(refusal, Date.now() - sentAt)
          resource.changed()
          resume(Effect.fail(refusal))
        },
        () => wait.refuse("unavailable")
      )
      return Effect.sync(() => giveUp("interrupted"))
    })
  }

  /** Queues again a wait that Redis lost (it restarted): at the back, as a newcomer. */
  requeue(wait: Wait): void {
    const { resource } = wait
    this.scripts.acquire(resource.keys, resource.args, wait.id, resource.maxWaiting, true).then(
      (answer) => {
        if (answer === Granted) wait.grant(Date.now())
        else if (answer === QueueFull) wait.refuse("queue-full")
        else if (answer !== Queued) wait.refuse("timeout")
      },
      () => {
        // The next tick tries again.
      }
    )
  }

  /**
   * Gives the leases back, resource by resource, and waits for Redis's
   * answer so that a permit is free when the guard returns. A release that
   * fails is only logged: the lease expires on its own within its TTL.
   */
  release(leases: ReadonlyArray<Lease>): Effect.Effect<void> {
    return Effect.promise(() => {
      for (const lease of leases) this.forget(lease)
      return Promise.all(leases.map((lease) => this.scripts.release(lease.resource.keys, lease.resource.args, [lease.id])))
        .then(() => undefined, this.onReleaseError)
    })
  }

  /** `release` without waiting for the answer (a guard that gives up). */
  releaseNow(leases: ReadonlyArray<Lease>): void {
    for (const lease of leases) {
      this.forget(lease)
      this.releaseIds(lease.resource, [lease.id])
    }
  }

  /** Stops renewing a lease (released, or lost), once. */
  forget(lease: Lease): void {
    const { resource } = lease
    if (!resource.leases.delete(lease.id)) return
    resource.metrics?.released(Date.now() - lease.grantedAt)
    resource.changed()
  }

  private releaseIds(resource: RemoteResource, ids: ReadonlyArray<string>): void {
    this.scripts.release(resource.keys, resource.args, ids).catch(this.onReleaseError)
  }
}
