/**
 * One replica's side of the permits held in Redis: its guards' waits and
 * leases, by resource, and the two moves a guard makes, acquire and release.
 *
 * @internal
 */
import type { Scripts } from "@effect-concurrency-limiter/core/redis/client"
import type { ResourceKeys } from "@effect-concurrency-limiter/core/redis/keys"
import {
  Granted as GrantedAnswer,
  NotFree,
  Queued,
  QueueFull,
  type ScriptArgs
} from "@effect-concurrency-limiter/core/redis/scripts"
import * as Effect from "effect/Effect"
import type { Restore } from "../semaphore.js"

/** The longest delay a Node timer keeps: `setTimeout` fires a longer one after 1 ms. @internal */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/**
 * Why a permit was not granted. `"closed"`: the layer closed while the guard
 * waited (refused as unavailable, never admitted through the local share of
 * a layer that is gone).
 */
export type Refusal = "timeout" | "queue-full" | "unavailable" | "closed"

/** What a resource's events feed: the `Metrics` module's metrics, as this replica sees them (`metrics.ts`). */
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

/**
 * The states of a wait, as in the local semaphore: `Waiting` (queued in
 * Redis), `Granted` (Redis granted it and the guard's fiber was resumed,
 * but the guard has not claimed the lease yet), `Held` (the guard owns the
 * lease and releases it), `Done` (refused or abandoned). A `Granted` wait
 * whose fiber is interrupted before it claims the lease gives it back:
 * otherwise nobody would release it and the heartbeat would renew it for
 * ever.
 */
const Waiting = 0
const Granted = 1
const Held = 2
const Done = 3

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
   * `Infinity` for none). Must run uninterruptibly; only the wait itself is
   * made interruptible, by `restore`. An interrupted or refused wait leaves
   * the queue in Redis, and a permit granted meanwhile but not yet claimed
   * (the grant and the interruption in the same tick) is given back: the
   * lease is only the caller's once this effect has succeeded. `lost` is
   * called if the lease is later lost.
   */
  acquire(
    resource: RemoteResource,
    deadline: number,
    restore: Restore,
    lost: () => void
  ): Effect.Effect<Lease, Refusal> {
    return Effect.suspend(() => this.acquireNow(resource, deadline, restore, lost))
  }

  private acquireNow(
    resource: RemoteResource,
    deadline: number,
    restore: Restore,
    lost: () => void
  ): Effect.Effect<Lease, Refusal> {
    const id = `${this.replicaId}:${++this.sequence}`
    let state = Waiting
    let lease: Lease | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let sentAt = 0
    const leave = () => {
      if (timer !== undefined) clearTimeout(timer)
      resource.waiting.delete(id)
    }
    /** The interrupted side; runs uninterruptibly (the canceler, or the failure below). */
    const abandon = () => {
      if (state === Waiting) {
        state = Done
        leave()
        this.releaseIds(resource, [id])
        resource.metrics?.failed("interrupted", Date.now() - sentAt)
        resource.changed()
      } else if (state === Granted) {
        // The grant raced the interruption: give the permit back.
        state = Done
        this.releaseNow([lease!])
      }
    }
    // A grant resumes the fiber on its own dispatcher: resumed where the
    // grant is learnt (the channel's listening fiber), it would run the
    // guarded effect there, ahead of the next grant.
    const wait = Effect.withFiber((fiber) => Effect.callback<Lease, Refusal>((resume) => {
      sentAt = Date.now()
      const self: Wait = {
        id,
        resource,
        aliveUntil: sentAt + resource.args.queueTtlMillis,
        grant: (at) => {
          if (state !== Waiting) return
          state = Granted
          leave()
          const now = Date.now()
          lease = {
            id,
            resource,
            lost,
            grantedAt: now,
            // Redis gave the lease what was left of the wait's heartbeat.
            expiresAt: Math.min(at + this.leaseTtlMillis, self.aliveUntil)
          }
          resource.leases.set(id, lease)
          resource.metrics?.acquired(now - sentAt)
          resource.changed()
          const granted = Effect.succeed(lease)
          fiber.currentDispatcher.scheduleTask(() => resume(granted), 0)
        },
        refuse: (refusal) => {
          if (state !== Waiting) return
          state = Done
          leave()
          this.releaseIds(resource, [id])
          if (refusal !== "unavailable" && refusal !== "closed") resource.metrics?.failed(refusal, Date.now() - sentAt)
          resource.changed()
          resume(Effect.fail(refusal))
        }
      }
      // Listed before the call: the grant may be published before the reply arrives.
      resource.waiting.set(id, self)
      resource.changed()
      const mayWait = deadline > sentAt
      // Armed now, not at the reply: a slow reply must not make the 503 late.
      // If it fires first, the release it sends runs after the acquire (one
      // connection, in order) and undoes it.
      // Node fires a timer longer than 2^31 - 1 ms at once: such a deadline
      // (some 25 days) is never met by a request, so it gets no timer.
      if (mayWait && deadline - sentAt <= MAX_TIMER_MILLIS) timer = setTimeout(() => self.refuse("timeout"), deadline - sentAt)
      this.scripts.acquire(resource.keys, resource.args, id, resource.maxWaiting, mayWait).then(
        (answer) => {
          if (state !== Waiting) return
          if (answer === GrantedAnswer) return self.grant(sentAt)
          if (answer === Queued) return
          // Refused without being queued: nothing to take back.
          state = Done
          leave()
          const refusal = answer === QueueFull ? "queue-full" : answer === NotFree ? "timeout" : "unavailable"
          if (refusal !== "unavailable") resource.metrics?.failed(refusal, Date.now() - sentAt)
          resource.changed()
          resume(Effect.fail(refusal))
        },
        () => self.refuse("unavailable")
      )
      return Effect.sync(abandon)
    }))
    return Effect.matchCauseEffect(restore(wait), {
      onFailure: (cause) => {
        abandon()
        return Effect.failCause(cause)
      },
      onSuccess: (granted) => {
        // Uninterruptible from the grant to here: the caller owns it now.
        state = Held
        return Effect.succeed(granted)
      }
    })
  }

  /** Queues again a wait that Redis lost (it restarted): at the back, as a newcomer. */
  requeue(wait: Wait): void {
    const { resource } = wait
    const sentAt = Date.now()
    this.scripts.acquire(resource.keys, resource.args, wait.id, resource.maxWaiting, true).then(
      (answer) => {
        if (answer === Queued) wait.aliveUntil = Math.max(wait.aliveUntil, sentAt + resource.args.queueTtlMillis)
        if (answer === GrantedAnswer) wait.grant(Date.now())
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
