import { describe, expect, it } from 'vitest';
import { FederationSchema } from '../../../src/config/federation-schema.js';
import { jitteredDelay } from '../../../src/federation/backoff.js';
import { describeNatsError } from '../../../src/federation/connection.js';
import { controlSubject, eventSubject, hostOfSubject, streamSubject } from '../../../src/federation/subjects.js';

describe('federation subjects', () => {
  it('puts an event under <prefix>.<host>.<type>, its dots extra tokens, forbidden characters made _', () => {
    expect(eventSubject('corral', 'a', 'component.started')).toBe('corral.a.component.started');
    expect(eventSubject('corral', 'a', 'odd type.*.>..x.')).toBe('corral.a.odd_type._._._.x._');
    expect(hostOfSubject('corral.laptop.x.y')).toBe('laptop');
  });
  it('keeps the control subject out of the stream', () => {
    const stream = new RegExp(`^${streamSubject('corral').replace('.*.>', '\\.[^.]+\\..+')}$`);
    expect(stream.test(eventSubject('corral', 'a', 'x'))).toBe(true);
    expect(stream.test(controlSubject('corral', 'a'))).toBe(false);
  });
});

describe('federation config', () => {
  it('fills the defaults, and refuses two kinds of credentials and a host that is not one token', () => {
    const f = FederationSchema.parse({ nats: 'nats://127.0.0.1:4222', host: 'a' })!;
    expect(f).toMatchObject({ host: 'a', stream: 'CORRAL', subject_prefix: 'corral', max_age: 86_400_000, max_bytes: 1024 ** 3, backlog: 100_000, replicas: 1 });
    expect(FederationSchema.parse({ nats: ['nats://n1:4222', 'nats://n2:4222'] })!.host).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(FederationSchema.safeParse({ nats: 'nats://x:1', host: 'a.b' }).success).toBe(false);
    expect(FederationSchema.safeParse({ nats: 'nats://x:1', creds: 'c', user: 'u' }).success).toBe(false);
  });
  it('names refused credentials and where they came from', () => {
    const cfg = FederationSchema.parse({ nats: 'nats://x:1', host: 'a', creds: './host.creds' })!;
    expect(describeNatsError(new Error("'Authorization Violation'"), cfg)).toEqual({ message: 'NATS refused the credentials in ./host.creds: Authorization Violation', auth: true });
    expect(describeNatsError(new Error('connection refused'), cfg).auth).toBe(false);
  });
  it('backs off with jitter up to 30 s', () => {
    expect(jitteredDelay(0, () => 0)).toBe(250);
    expect(jitteredDelay(20, () => 0.999)).toBeLessThanOrEqual(45_000);
    expect(jitteredDelay(20, () => 0)).toBe(15_000);
  });
});
