/**
 * The only module that touches nact. Everything else sees opaque refs and the
 * four operations below, so swapping the engine later is a one-file change.
 */
import nact from 'nact';

declare const nactRefBrand: unique symbol;
/** Opaque: callers must not depend on nact's reference layout. */
export type NactRef = { readonly [nactRefBrand]: true };

/** The slice of nact's per-message context we read (only containers read it, for census). */
export interface NactContext {
  readonly children: ReadonlyMap<string, unknown>;
}

export type NactHandler = (msg: unknown, ctx: NactContext) => void | Promise<void>;

interface SupervisionContext {
  readonly resume: symbol;
}

/**
 * An honest, narrow view of nact's runtime API. The bundled typings are loose
 * (Ref<any>) and wrong about start(): it ignores a string and reads `{ name }`.
 */
interface NactApi {
  start(opts: { name: string }): NactRef;
  spawn(
    parent: NactRef,
    f: (state: unknown, msg: unknown, ctx: NactContext) => void | Promise<void>,
    name: string,
    props: { onCrash: (msg: unknown, err: unknown, ctx: SupervisionContext) => symbol },
  ): NactRef;
  dispatch(ref: NactRef, msg: unknown): void;
  stop(ref: NactRef): void;
}

const api = nact as unknown as NactApi;

/**
 * Handlers given to nact never throw (the wrapper catches everything and runs
 * its own crash policy), so this only replaces nact's default policy, which
 * console.logs and stops, in case that invariant is ever broken. It is
 * synchronous on purpose: nact's handleFault is async and anything it throws
 * would surface as an unhandled rejection.
 */
const backstop = (_msg: unknown, _err: unknown, ctx: SupervisionContext): symbol => ctx.resume;

export function startSystem(name: string): NactRef {
  return api.start({ name });
}

export function spawnNact(parent: NactRef, name: string, handler: NactHandler): NactRef {
  // nact's state slot is unused: the wrapper owns state, so nact's initialState reuse (and reset) never applies.
  return api.spawn(parent, (_state, msg, ctx) => handler(msg, ctx), name, { onCrash: backstop });
}

export function dispatchNact(ref: NactRef, msg: unknown): void {
  api.dispatch(ref, msg);
}

/** Stops only this actor: nact does not stop children (see defect 1), callers stop them first. */
export function stopNact(ref: NactRef): void {
  api.stop(ref);
}
