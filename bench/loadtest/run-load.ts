import { readHostLimits, sourceAddressPlan } from '../orchestrator/host-limits.js';
import { epochMs } from '../shared/clock.js';
import { Recorder, type RecorderTotals, type TimelinePoint } from './recorder.js';
import type { ServerSampler } from './server-sampler.js';
import type { LoadTarget } from './target.js';
import { requestErrorKind, type LoadPayload, type LoadUser } from './users/load-user.js';
import { RawUser } from './users/raw-user.js';
import { SdkUser } from './users/sdk-user.js';

export type ClientKind = 'sdk' | 'raw';

/** One load phase: who connects, how fast they act, for how long. */
export interface LoadSpec {
  name: string;
  users: number;
  /** Whole phase, ramp-up included. */
  durationMs: number;
  /** Users connect evenly over this time. */
  rampUpMs: number;
  /** Requests per second of each connected user. */
  ratePerUser: number;
  /** Share of requests that are RPCs; the rest are publications. */
  rpcRatio: number;
  /** Users sharing one `public:` channel: each publication reaches this many subscribers. */
  usersPerChannel: number;
  client: ClientKind;
  requestTimeoutMs: number;
  /** Unanswered requests a user may have; beyond it a request is not sent and counts as `backlog`. */
  maxInFlightPerUser: number;
}

export interface LoadSummary extends RecorderTotals {
  /** Seconds from the first connect to the end of the phase. */
  durationS: number;
  requestsPerS: number;
  messagesPerS: number;
  /** errors / (requests + connection attempts). */
  errorRate: number;
  /** Users that tried to connect (fewer than spec.users when the run was cut short). */
  usersAttempted: number;
  usersConnected: number;
  usersFailed: number;
}

export interface LoadRunResult {
  name: string;
  spec: LoadSpec;
  startedAt: string;
  interrupted: boolean;
  summary: LoadSummary;
  timeline: TimelinePoint[];
  /** Whole-phase latency histograms as [bucket midpoint ms, count]. */
  histograms: { response: [number, number][]; delivery: [number, number][] };
}

export interface RunHooks {
  signal?: AbortSignal | undefined;
  sampler?: ServerSampler | undefined;
  /** Once a second: the fraction of the phase done and the newest timeline point. */
  onTick?: ((done: number, point: TimelinePoint) => void) | undefined;
}

const TICK_MS = 20;
const TIMELINE_MS = 1000;
/** Handshakes in flight at once: well under a listen backlog, so no SYN is dropped and retried. */
const MAX_CONNECTING = 256;
const DRAIN_MS = 2000;

/**
 * Runs one phase against `target`: users connect over the ramp-up, each acts at `ratePerUser`,
 * and everything they see goes into one Recorder. Bounded in time whatever happens: the phase
 * ends at its duration or on `signal`, replies get DRAIN_MS more, and closing is bounded per user.
 */
export async function runLoad(spec: LoadSpec, target: LoadTarget, hooks: RunHooks = {}): Promise<LoadRunResult> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const recorder = new Recorder(t0);
  const users: (LoadUser | undefined)[] = new Array<LoadUser | undefined>(spec.users);
  const active: { user: LoadUser; index: number }[] = [];
  const readBuffer = Buffer.allocUnsafe(64 * 1024);
  let connecting = 0;
  let nextUser = 0;
  let failedUsers = 0;
  let actionSeq = 0;
  let due = 0;
  let lastTick = t0;
  let lastTimeline = t0;
  const aborted = () => hooks.signal?.aborted === true;
  const elapsed = () => performance.now() - t0;

  const { sourceAddresses, perAddress } = sourceAddressPlan(spec.users, readHostLimits());
  const channelOf = (i: number) => `public:loadtest-${Math.floor(i / Math.max(1, spec.usersPerChannel))}`;
  const makeUser = (i: number): LoadUser => {
    if (spec.client === 'sdk') return new SdkUser({ url: target.wsUrl, channel: channelOf(i), requestTimeoutMs: spec.requestTimeoutMs }, recorder);
    const u = new URL(target.wsUrl);
    const loopback = u.hostname.startsWith('127.') || u.hostname === 'localhost';
    const localAddress = loopback ? sourceAddresses[Math.floor(i / perAddress)] : undefined;
    return new RawUser({ host: u.hostname, port: Number(u.port || (u.protocol === 'wss:' ? 443 : 80)), path: `${u.pathname}${u.search}`, channel: channelOf(i), localAddress, requestTimeoutMs: spec.requestTimeoutMs, readBuffer }, recorder);
  };

  const connectDue = () => {
    const allowed = spec.rampUpMs <= 0 ? spec.users : Math.min(spec.users, Math.floor((elapsed() / spec.rampUpMs) * spec.users) + 1);
    while (nextUser < allowed && connecting < MAX_CONNECTING && !aborted()) {
      const i = nextUser++;
      const user = makeUser(i);
      users[i] = user;
      connecting++;
      user.connect().then(
        () => {
          connecting--;
          active.push({ user, index: i });
          recorder.connectedUsers = active.length;
        },
        (err: unknown) => {
          connecting--;
          failedUsers++;
          recorder.error(requestErrorKind('connect', err));
          void user.close();
        },
      );
    }
  };

  const act = (user: LoadUser, index: number) => {
    // Exactly rpcRatio of all requests are RPCs, spread evenly, with no randomness between runs.
    const isRpc = Math.floor((actionSeq + 1) * spec.rpcRatio) > Math.floor(actionSeq * spec.rpcRatio);
    const method = isRpc ? 'rpc' : target.apiKey ? 'api-publish' : 'publish';
    actionSeq++;
    if (user.inFlight >= spec.maxInFlightPerUser) {
      recorder.requestFailed(`${method}:backlog`);
      return;
    }
    const t = performance.now();
    const payload: LoadPayload = { ts: epochMs(), user: index, seq: actionSeq };
    const request = isRpc ? user.rpc(target.rpc.method, target.rpc.params) : target.apiKey ? apiPublish(target, channelOf(index), payload, spec.requestTimeoutMs) : user.publish(payload);
    request.then(
      () => recorder.requestDone(performance.now() - t),
      (err: unknown) => recorder.requestFailed(requestErrorKind(method, err)),
    );
  };

  hooks.sampler?.start();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now - t0 >= spec.durationMs || aborted()) {
        resolve();
        return;
      }
      connectDue();
      // Actions due follow elapsed time and the users connected, so a late timer catches up.
      due += (spec.ratePerUser * active.length * (now - lastTick)) / 1000;
      lastTick = now;
      // A hard cap per tick: a stalled process does not answer a long pause with a flood.
      let budget = Math.max(1000, active.length * 4);
      while (due >= 1 && active.length > 0 && budget-- > 0) {
        const next = active[actionSeq % active.length];
        if (next) act(next.user, next.index);
        due--;
      }
      // Bounded debt: at most one owed action per user carries over; the rest of a stall is dropped
      // (it shows as a lower requests/s), not replayed as a burst that would measure the burst.
      if (due > active.length) due = active.length;
      if (now - lastTimeline >= TIMELINE_MS) {
        lastTimeline = now;
        const point = recorder.tick(serverFigures(hooks.sampler), now);
        hooks.onTick?.(Math.min(1, (now - t0) / spec.durationMs), point);
      }
      setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const endedAt = performance.now();
  const drainUntil = endedAt + (aborted() ? 200 : DRAIN_MS);
  while (active.some((a) => a.user.inFlight > 0) && performance.now() < drainUntil) await sleep(20);
  const last = recorder.tick(serverFigures(hooks.sampler), performance.now());
  hooks.onTick?.(Math.min(1, (endedAt - t0) / spec.durationMs + (aborted() ? 0 : 1)), last);
  hooks.sampler?.stop();
  await closeAll(users.filter((u): u is LoadUser => u !== undefined));

  const totals = recorder.totals();
  const durationS = (endedAt - t0) / 1000;
  // Connection attempts count beside requests, so users that never got in show in the error rate.
  const attempts = totals.requests + nextUser;
  return {
    name: spec.name,
    spec,
    startedAt,
    interrupted: aborted(),
    summary: {
      ...totals,
      durationS,
      requestsPerS: durationS > 0 ? totals.requests / durationS : 0,
      messagesPerS: durationS > 0 ? totals.messages / durationS : 0,
      errorRate: attempts > 0 ? totals.errors / attempts : 0,
      usersAttempted: nextUser,
      usersConnected: active.length,
      usersFailed: failedUsers,
    },
    timeline: [...recorder.timeline],
    histograms: { response: toMs(recorder.response.buckets()), delivery: toMs(recorder.delivery.buckets()) },
  };
}

function serverFigures(sampler: ServerSampler | undefined): Pick<TimelinePoint, 'serverRssMiB' | 'serverHeapMiB' | 'serverConnections'> {
  const s = sampler?.latest;
  return s ? { serverRssMiB: s.rssMiB, serverHeapMiB: s.heapMiB, serverConnections: s.connections } : {};
}

function toMs(buckets: [number, number][]): [number, number][] {
  return buckets.map(([us, c]) => [us / 1000, c]);
}

/** Server API publish (`POST /api/publish`), the way a backend feeds a channel. */
async function apiPublish(target: LoadTarget, channel: string, data: LoadPayload, timeoutMs: number): Promise<void> {
  const res = await fetch(`${target.httpUrl}/api/publish`, {
    method: 'POST',
    headers: { authorization: `apikey ${target.apiKey ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { error?: { code?: unknown } };
  if (!res.ok || body.error) throw Object.assign(new Error(`api publish ${res.status}`), { code: body.error?.code ?? res.status });
}

/** Closes users a batch at a time, so thousands of closing handshakes do not land at once. */
async function closeAll(users: LoadUser[]): Promise<void> {
  for (let i = 0; i < users.length; i += MAX_CONNECTING) {
    await Promise.all(users.slice(i, i + MAX_CONNECTING).map((u) => u.close().catch(() => undefined)));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
