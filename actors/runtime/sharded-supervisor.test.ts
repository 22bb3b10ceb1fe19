import { afterEach, describe, expect, it } from 'vitest';
import { ActorRuntime, type ActorRef } from './index.js';

const runtimes: ActorRuntime[] = [];
function startRuntime(maxChildrenPerShard?: number): ActorRuntime {
  const rt = new ActorRuntime(maxChildrenPerShard === undefined ? { name: 'shards' } : { name: 'shards', maxChildrenPerShard });
  rt.start();
  runtimes.push(rt);
  return rt;
}

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.stop()));
});

const leaf = { initialState: () => 0, handle: (s: number) => s };

describe('ShardedSupervisor', () => {
  it('creates shards as needed, never puts more than maxChildrenPerShard in one, and removes empty ones', async () => {
    const rt = startRuntime();
    const sup = rt.supervisor('conns', { maxChildrenPerShard: 3 });
    const refs: ActorRef<never>[] = Array.from({ length: 7 }, () => sup.spawn(leaf));
    expect(sup.size).toBe(7);
    expect(sup.shardCount).toBe(3);
    expect((await sup.shardCensus()).sort()).toEqual([1, 3, 3]);

    // Empty the first shard entirely: it is removed from the supervisor and from nact.
    refs.slice(0, 3).forEach((r) => r.stop());
    expect(sup.size).toBe(4);
    expect(sup.shardCount).toBe(2);
    expect((await sup.shardCensus()).sort()).toEqual([1, 3]);

    // Freed slots are reused before a new shard is made.
    refs[3]!.stop();
    sup.spawn(leaf);
    sup.spawn(leaf);
    sup.spawn(leaf);
    expect(sup.shardCount).toBe(2);
    expect((await sup.shardCensus()).sort()).toEqual([3, 3]);
    sup.spawn(leaf);
    expect(sup.shardCount).toBe(3);
    expect(rt.stats()).toMatchObject({ actors: 7, shards: 3 + 1 }); // + root's shard holding `conns`
  });

  it('root is sharded too, and the runtime default shard size applies to new supervisors', async () => {
    const rt = startRuntime(2);
    for (let i = 0; i < 5; i++) rt.root.spawn(leaf);
    expect(rt.root.shardCount).toBe(3);
    const sup = rt.supervisor('child');
    for (let i = 0; i < 4; i++) sup.spawn(leaf);
    expect(sup.shardCount).toBe(2);
    expect(rt.root.size).toBe(6);
    sup.stop();
    expect(rt.root.size).toBe(5);
    expect(rt.stats()).toMatchObject({ actors: 5, shards: 3 });
    expect(() => rt.supervisor('bad', { maxChildrenPerShard: 0 })).toThrow(RangeError);
  });

  it('sanitises name prefixes nact would reject and keeps them unique', () => {
    const rt = startRuntime();
    const a = rt.root.spawn({ ...leaf, name: 'user/42 conn' });
    const b = rt.root.spawn({ ...leaf, name: 'user/42 conn' });
    expect(a.name).toMatch(/^user_42_conn-\d+$/);
    expect(b.name).not.toBe(a.name);
  });
});
