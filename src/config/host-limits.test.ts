import { describe, expect, it } from 'vitest';
import { cgroupMemoryLimit, memoryBudgetBytes, openFileBudget, openFileSoftLimit, SEED_MEMORY_TARGET_BYTES, type ReadText } from './host-limits.js';

const GiB = 1024 ** 3;

/** A machine whose files are these; any other path does not exist. */
function files(map: Record<string, string>): ReadText {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

const limits = (soft: string, hard = soft) => `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     
Max locked memory         8388608              8388608              bytes     
`;

describe('openFileSoftLimit', () => {
  it('reads the soft limit of Max open files', () => {
    expect(openFileSoftLimit(files({ '/proc/self/limits': limits('1024', '524288') }))).toBe(1024);
  });

  it('is undefined when unlimited or not on Linux', () => {
    expect(openFileSoftLimit(files({ '/proc/self/limits': limits('unlimited') }))).toBeUndefined();
    expect(openFileSoftLimit(files({}))).toBeUndefined();
  });

  it('reads this process', () => {
    expect(openFileSoftLimit()).toBeGreaterThan(0);
  });
});

describe('openFileBudget', () => {
  it('keeps max(256, 10 %) of the limit from WebSocket clients, at most half, and half of that from every client', () => {
    expect(openFileBudget(1024)).toEqual({ softLimit: 1024, reserve: 256, maxConnections: 768, maxSockets: 896 });
    expect(openFileBudget(65_536)).toEqual({ softLimit: 65_536, reserve: 6_554, maxConnections: 58_982, maxSockets: 62_259 });
    expect(openFileBudget(256)).toEqual({ softLimit: 256, reserve: 128, maxConnections: 128, maxSockets: 192 });
    expect(openFileBudget(1).maxConnections).toBe(1);
  });
});

describe('cgroupMemoryLimit', () => {
  const physical = 16 * GiB;

  it('reads cgroup v2 memory.max of the process\'s own cgroup, "max" meaning none', () => {
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '0::/kubepods/pod1/c1\n', '/sys/fs/cgroup/kubepods/pod1/c1/memory.max': '2147483648\n' }), physical)).toBe(2 * GiB);
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': 'max\n' }), physical)).toBeUndefined();
  });

  it('falls back to the mount root (a container\'s own cgroup) and to cgroup v1', () => {
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '0::/docker/abc\n', '/sys/fs/cgroup/memory.max': '1073741824' }), physical)).toBe(GiB);
    const v1 = '12:pids:/x\n4:memory:/process_api/42\n0::/\n';
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': v1, '/sys/fs/cgroup/memory/process_api/42/memory.limit_in_bytes': '536870912' }), physical)).toBe(GiB / 2);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '3221225472' }), physical)).toBe(3 * GiB);
  });

  it('treats cgroup v1\'s huge "no limit" and any limit above the machine\'s memory as none', () => {
    expect(cgroupMemoryLimit(files({ '/proc/self/cgroup': '4:memory:/\n', '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }), physical)).toBeUndefined();
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': String(32 * GiB) }), physical)).toBeUndefined();
    expect(cgroupMemoryLimit(files({}), physical)).toBeUndefined();
  });
});

describe('memoryBudgetBytes', () => {
  it('is the container limit when set, else the seed\'s 4 GiB target, never above the machine', () => {
    expect(memoryBudgetBytes(2 * GiB, 16 * GiB)).toBe(2 * GiB);
    expect(memoryBudgetBytes(8 * GiB, 16 * GiB)).toBe(8 * GiB);
    expect(memoryBudgetBytes(undefined, 16 * GiB)).toBe(SEED_MEMORY_TARGET_BYTES);
    expect(memoryBudgetBytes(undefined, 2 * GiB)).toBe(2 * GiB);
  });
});
