import { afterEach, expect, it } from 'vitest';
import { ERRORS } from '../../../src/errors.js';
import { ComponentDisabledError } from '../../../src/supervisor/component.js';
import { UnknownComponentError, type Controller } from '../../../src/supervisor/types.js';
import { TOKEN, http, startTestServer, type TestServer } from './helpers.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

it('the control routes answer the errors of the catalogue with its statuses; any other failure is 500', async () => {
  // The supervisor's own error classes, thrown as the supervisor throws them for these names.
  const controller: Controller = {
    list: () => [],
    statuses: () => ({}),
    start: async (n) => {
      if (n === 'off') throw new ComponentDisabledError(n);
      if (n === 'boom') throw new Error('disk full');
      throw new UnknownComponentError(n);
    },
    stop: async () => undefined,
    restart: async () => undefined,
    reload: async () => ({ ok: true, message: 'ok' }),
    shutdown: async () => undefined,
  };
  ts = await startTestServer({ controller });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const unknown = await http(ts.server.url, 'POST', '/api/components/nope/start', undefined, auth);
  expect([unknown.status, unknown.body.error]).toEqual([ERRORS.CMP003.status, 'no component named "nope"']);
  const disabled = await http(ts.server.url, 'POST', '/api/components/off/start', undefined, auth);
  expect([disabled.status, disabled.body.error]).toEqual([ERRORS.CMP004.status, 'component "off" is disabled (enabled: false in the config)']);
  const failed = await http(ts.server.url, 'POST', '/api/components/boom/start', undefined, auth);
  expect(failed.status).toBe(500);
  expect(failed.body.error).toContain('disk full');
});
