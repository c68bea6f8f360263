import { describe, expect, it } from 'vitest';
import { checkHost, originAllowed, type GuardConfig } from '../../../src/server/guard.js';
import { createTokenBucket } from '../../../src/server/rate-limit.js';
import { isLoopbackAddress, tokenMatches } from '../../../src/server/token.js';

const cfg = (over: Partial<GuardConfig> = {}): GuardConfig => ({ host: '127.0.0.1', port: 4000, token: 't'.repeat(32), auth: 'local', allowedOrigins: [], ...over });

describe('Host check (DNS rebinding)', () => {
  it.each(['127.0.0.1:4000', 'localhost:4000', '[::1]:4000', 'LOCALHOST:4000', 'localhost'])('accepts %s', (host) => {
    expect(checkHost(cfg(), host)).toBeNull();
  });
  it.each(['evil.example', 'evil.example:4000', '127.0.0.1:4001', '10.0.0.5:4000', '', 'a:b:c'])('refuses %j', (host) => {
    expect(checkHost(cfg(), host)?.status).toBe(403);
  });
  it('accepts the bound address and, on a wildcard bind, IP literals', () => {
    expect(checkHost(cfg({ host: 'box.lan' }), 'box.lan:4000')).toBeNull();
    expect(checkHost(cfg({ host: '0.0.0.0' }), '10.0.0.5:4000')).toBeNull();
    expect(checkHost(cfg({ host: '0.0.0.0' }), 'evil.example:4000')?.status).toBe(403);
  });
});

describe('Origin check', () => {
  it('allows no Origin, the daemon own origins and the allow list; nothing else', () => {
    const c = cfg({ allowedOrigins: ['http://localhost:5173/'] });
    expect(originAllowed(c, undefined)).toBe(true);
    expect(originAllowed(c, 'http://127.0.0.1:4000')).toBe(true);
    expect(originAllowed(c, 'http://localhost:4000')).toBe(true);
    expect(originAllowed(c, 'http://localhost:5173')).toBe(true);
    expect(originAllowed(c, 'https://evil.example')).toBe(false);
    expect(originAllowed(c, 'http://localhost:4001')).toBe(false);
    expect(originAllowed(c, 'null')).toBe(false);
  });
});

describe('token and loopback', () => {
  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(null, 'abc')).toBe(false);
  });
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.1', undefined]) expect(isLoopbackAddress(a)).toBe(false);
  });
});

describe('token bucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const b = createTokenBucket({ rate: 10, burst: 5 }, () => now);
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    expect(b.waitSeconds()).toBeCloseTo(0.1);
    now += 100;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    now += 10_000;
    expect(b.take(5)).toBe(true);
    expect(b.take(1)).toBe(false);
  });
});
