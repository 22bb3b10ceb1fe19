import { describe, expect, it } from 'vitest';
import { sourceAddressPlan, type HostLimits } from './host-limits.js';

const host: HostLimits = { cores: 2, maxOpenFiles: 20_000, tasksetPath: undefined, ephemeralPorts: 28_232 };

describe('source addresses for loopback load', () => {
  it('leaves a run within the share of one address to the kernel', () => {
    expect(sourceAddressPlan(9000, host)).toEqual({ sourceAddresses: [], perAddress: 9881 });
  });

  it('spreads 50,000 connections so no address binds more than 35 % of its ephemeral ports (70 % of the half bind prefers)', () => {
    const plan = sourceAddressPlan(50_000, host);
    expect(plan.sourceAddresses).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7']);
    expect(plan.perAddress * plan.sourceAddresses.length).toBeGreaterThanOrEqual(50_000);
    expect(plan.perAddress).toBeLessThanOrEqual(host.ephemeralPorts * 0.35);
  });
});
