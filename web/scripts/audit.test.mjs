import { describe, expect, it } from 'vitest';
import { judge } from './audit.mjs';

// The shape `npm audit --json` prints (npm 7 and later), cut down.
const report = {
  vulnerabilities: {
    'fixable-high': { severity: 'high', fixAvailable: { name: 'vite', version: '7.1.2', isSemVerMajor: false } },
    'stuck-critical': { severity: 'critical', fixAvailable: false },
    'fixable-low': { severity: 'low', fixAvailable: true },
  },
  metadata: { vulnerabilities: { info: 0, low: 1, moderate: 0, high: 1, critical: 1, total: 3 } },
};

describe('npm audit report', () => {
  it('fails only on high or critical advisories that have a fix', () => {
    const { lines, failing } = judge(report);
    expect(failing).toEqual(['high fixable-high (fix: vite@7.1.2)']);
    expect(lines[0]).toBe('npm audit: 3 advisories (1 critical, 1 high, 0 moderate, 1 low)');
    expect(lines).toContain('critical stuck-critical (no fix yet)');
    expect(lines).toContain('low fixable-low (fix: npm audit fix)');
  });

  it('reports a registry without the audit endpoint without failing', () => {
    const { lines, failing } = judge({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk' });
    expect(failing).toEqual([]);
    expect(lines[0]).toMatch(/^npm audit could not run: 405/);
  });

  it('passes a clean tree', () => {
    expect(judge({ vulnerabilities: {}, metadata: { vulnerabilities: { total: 0 } } }).failing).toEqual([]);
  });
});
