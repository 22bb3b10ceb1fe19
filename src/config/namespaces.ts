import { z } from 'zod';

const MiB = 1024 * 1024;

/**
 * Options of one channel namespace. A channel `ns:rest` belongs to namespace `ns`; a channel with
 * no `:` belongs to the namespace named by its part before `#` (so `user#42` is in `user`), or to
 * the namespace of its own name (`metrics`).
 */
export const namespaceSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'namespace names use letters, digits, _ . -'),
  /** Publications kept per channel for history and recovery; 0 keeps none. */
  historySize: z.number().int().min(0).max(100_000).default(0),
  /** How long a publication stays in history. */
  historyTtlMs: z.number().int().min(0).default(300_000),
  /** Bytes one channel's history may hold; past it its oldest publications are dropped. */
  historyMaxBytes: z.number().int().min(1024).default(4 * MiB),
  /** Bytes all channels of the namespace may hold together; unset: only the engine's total bounds them. */
  historyNamespaceMaxBytes: z.number().int().min(1024).optional(),
  /** Largest publication (its JSON size) a client or the server API may publish; Centrifugo's client message size is 64 KB too. */
  maxPublicationBytes: z.number().int().min(1).max(16 * MiB).default(64 * 1024),
  /** Subscribers always get offset/epoch and may recover (Centrifugo's force_recovery). */
  recoverable: z.boolean().default(false),
  /** A fresh subscription receives the latest publication in its subscribe reply. */
  deliverLatest: z.boolean().default(false),
  presence: z.boolean().default(false),
  joinLeave: z.boolean().default(false),
  /** Clients may publish into channels of this namespace. */
  allowPublish: z.boolean().default(false),
  /** Clients may subscribe without a subscription token. */
  allowSubscribe: z.boolean().default(true),
  /** Subscribers of a channel may read its history (Centrifugo's allow_history_for_subscriber). */
  allowHistoryForSubscriber: z.boolean().default(true),
  /** Any connected client may read a channel's history without subscribing (allow_history_for_client). */
  allowHistoryForClient: z.boolean().default(false),
  /** Subscribers of a channel may ask for its presence and presence stats (allow_presence_for_subscriber). */
  allowPresenceForSubscriber: z.boolean().default(true),
  /** Any connected client may ask for a channel's presence without subscribing (allow_presence_for_client). */
  allowPresenceForClient: z.boolean().default(false),
  /**
   * Delta types a subscriber may ask for (Centrifugo's allowed_delta_types): a subscribe with
   * `delta: 'fossil'` then gets `delta: true` and fossil deltas against the previous publication.
   */
  allowedDeltaTypes: z.array(z.enum(['fossil'])).max(1).default([]),
  /** Anonymous connections may subscribe. */
  anonymous: z.boolean().default(true),
  /** Channels `ns#ID` (or `ns:x#ID`) may only be subscribed by user ID. */
  userLimited: z.boolean().default(false),
  /**
   * `cluster`: with the Redis broker, the channel is shared by every node (one history, one
   * order). `node`: it never leaves the node that publishes it (each node's own engine metrics).
   */
  scope: z.enum(['cluster', 'node']).default('cluster'),
});

export type NamespaceOptions = z.infer<typeof namespaceSchema>;
export type NamespaceInput = z.input<typeof namespaceSchema>;

const min5 = 300_000;

/** The namespaces the engine publishes into, plus `public` for clients and `user` for personal channels. */
export const defaultNamespaces: readonly NamespaceInput[] = [
  // 1,000 publications of up to 1,000 trades (24 bytes each) fit.
  { name: 'ticks', historySize: 1000, historyTtlMs: min5, recoverable: true, historyMaxBytes: 32 * MiB },
  // Consecutive snapshots and partial bars differ in a few fields: fossil deltas carry just those.
  { name: 'market', historySize: 1, historyTtlMs: 3_600_000, deliverLatest: true, allowedDeltaTypes: ['fossil'] },
  { name: 'bars', historySize: 1000, historyTtlMs: 3_600_000, recoverable: true, allowedDeltaTypes: ['fossil'] },
  { name: 'sentiment', historySize: 200, historyTtlMs: 3_600_000, recoverable: true },
  // Each node's own figures: shared, the nodes' snapshots would interleave on one channel.
  { name: 'metrics', historySize: 1, historyTtlMs: 60_000, deliverLatest: true, scope: 'node' },
  // The one namespace clients publish into by default (chat, annotations beside a chart): its
  // history is its own budget, so a flood of client publications never evicts the market's.
  { name: 'public', historySize: 100, historyTtlMs: min5, recoverable: true, presence: true, joinLeave: true, allowPublish: true, historyMaxBytes: MiB, historyNamespaceMaxBytes: 64 * MiB },
  { name: 'user', historySize: 100, historyTtlMs: min5, recoverable: true, presence: true, userLimited: true, anonymous: false, historyMaxBytes: MiB, historyNamespaceMaxBytes: 64 * MiB },
  { name: 'private', historySize: 100, historyTtlMs: min5, recoverable: true, allowSubscribe: false, anonymous: false, historyMaxBytes: MiB, historyNamespaceMaxBytes: 64 * MiB },
];
