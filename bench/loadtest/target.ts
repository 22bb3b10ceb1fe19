import { randomBytes } from 'node:crypto';
import { BenchChild } from '../orchestrator/bench-child.js';
import type { CpuPlan } from '../orchestrator/cpu-plan.js';
import { childScripts } from '../orchestrator/paths.js';
import type { ServerArgs, ServerReady, ServerRpc } from '../shared/server-protocol.js';

/** Where the load goes, and what the users call. */
export interface LoadTarget {
  /** WebSocket endpoint, e.g. ws://127.0.0.1:8081/connection/websocket. */
  wsUrl: string;
  /** HTTP origin of the same server (server API, /metrics). */
  httpUrl: string;
  /** With a key, publications go through the server API instead of client publish. */
  apiKey?: string | undefined;
  rpc: { method: string; params: unknown };
  /** Set when this suite started the server itself: its RSS is read from /proc. */
  pid?: number | undefined;
}

export const DEFAULT_RPC = { method: 'market.snapshot', params: { symbol: 'AAPL' } };

/** A user's URL: a bare origin gets SuperNova's WebSocket path. */
export function targetFromUrl(url: string, apiKey: string | undefined, rpc = DEFAULT_RPC): LoadTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--url ${url} is not a URL (expected ws://host:port or ws://host:port/connection/websocket)`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`--url ${url} must start with ws:// or wss://`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/connection/websocket';
  const http = `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
  return { wsUrl: u.toString(), httpUrl: http, apiKey, rpc };
}

/** SuperNova started by the suite in a child process, pinned apart from the load when possible. */
export class ChildEngine {
  private constructor(private readonly child: BenchChild<ServerRpc>, readonly target: LoadTarget) {}

  static async start(cpu: CpuPlan, maxLifetimeMs: number, apiKey: string | undefined): Promise<ChildEngine> {
    const args: ServerArgs = { maxLifetimeMs };
    // The server API is on for --api-key runs; otherwise a random key keeps it closed to others.
    const key = apiKey ?? randomBytes(12).toString('hex');
    const { child, ready } = await BenchChild.spawn<ServerRpc, ServerReady>({
      label: 'supernova',
      script: childScripts.loadtestEngine,
      args,
      cpus: cpu.serverCpus,
      tasksetPath: cpu.tasksetPath,
      nodeFlags: ['--expose-gc'],
      readyTimeoutMs: 20_000,
      env: { SUPERNOVA_API_KEY: key },
    });
    const base = `127.0.0.1:${ready.port}`;
    return new ChildEngine(child, { wsUrl: `ws://${base}/connection/websocket`, httpUrl: `http://${base}`, apiKey, rpc: DEFAULT_RPC, pid: ready.pid });
  }

  async stop(): Promise<void> {
    try {
      await this.child.request('stop', null, 15_000);
    } catch {
      // Killed below if it does not leave.
    }
    await this.child.waitExit(5000);
  }
}
