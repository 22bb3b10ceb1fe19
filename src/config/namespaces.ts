import { z } from 'zod';

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
  /** Anonymous connections may subscribe. */
  anonymous: z.boolean().default(true),
  /** Channels `ns#ID` (or `ns:x#ID`) may only be subscribed by user ID. */
  userLimited: z.boolean().default(false),
});

export type NamespaceOptions = z.infer<typeof namespaceSchema>;
export type NamespaceInput = z.input<typeof namespaceSchema>;

const min5 = 300_000;

/** The namespaces the engine publishes into, plus `public` for clients and `user` for personal channels. */
export const defaultNamespaces: readonly NamespaceInput[] = [
  { name: 'ticks', historySize: 1000, historyTtlMs: min5, recoverable: true },
  { name: 'market', historySize: 1, historyTtlMs: 3_600_000, deliverLatest: true },
  { name: 'bars', historySize: 1000, historyTtlMs: 3_600_000, recoverable: true },
  { name: 'sentiment', historySize: 200, historyTtlMs: 3_600_000, recoverable: true },
  { name: 'metrics', historySize: 1, historyTtlMs: 60_000, deliverLatest: true },
  { name: 'public', historySize: 100, historyTtlMs: min5, recoverable: true, presence: true, joinLeave: true, allowPublish: true },
  { name: 'user', historySize: 100, historyTtlMs: min5, recoverable: true, presence: true, userLimited: true, anonymous: false },
  { name: 'private', historySize: 100, historyTtlMs: min5, recoverable: true, allowSubscribe: false, anonymous: false },
];
