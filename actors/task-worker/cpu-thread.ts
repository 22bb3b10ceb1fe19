/**
 * The entry of each CPU-pool thread (piscina): it loads a task type's `cpu` module once, and runs
 * the named export on arguments that crossed as msgpack; the result goes back as msgpack too.
 */
import { pack, unpack } from 'msgpackr';
import { move } from 'piscina';

export interface CpuCall {
  module: string;
  name: string;
  input: Uint8Array;
}

type CpuFunction = (input: unknown) => unknown;
const loaded = new Map<string, Promise<Record<string, unknown>>>();

/**
 * A TypeScript module (tests and tsx runs, where the engine runs from its sources) goes through
 * tsx's loader, which a worker thread does not inherit; built JavaScript is imported as is.
 */
async function load(href: string): Promise<Record<string, unknown>> {
  if (!href.endsWith('.ts')) return import(href) as Promise<Record<string, unknown>>;
  const tsx = 'tsx/esm/api';
  const { tsImport } = (await import(tsx)) as { tsImport(specifier: string, parent: string): Promise<Record<string, unknown>> };
  return tsImport(href, import.meta.url);
}

export default async function runCpu(call: CpuCall): Promise<Uint8Array> {
  let mod = loaded.get(call.module);
  if (!mod) loaded.set(call.module, (mod = load(call.module)));
  const fn = (await mod)[call.name];
  if (typeof fn !== 'function') throw new TypeError(`${call.module} has no function export ${call.name}`);
  const result = await (fn as CpuFunction)(unpack(call.input));
  // Moved back, not copied: the event loop's side only unpacks.
  const packed = pack(result);
  const bytes = new Uint8Array(packed.length);
  bytes.set(packed);
  return move(bytes) as Uint8Array;
}
