// The NATS names federation uses, in one place (docs/federation.md lists them).

/** One token of an event type as a subject token: NATS forbids whitespace, `*` and `>` in a token, and empty tokens. */
function token(t: string): string {
  if (t === '') return '_';
  let out = '';
  for (const ch of t) out += ch === '*' || ch === '>' || ch <= ' ' || ch === '\u007f' || /\s/.test(ch) ? '_' : ch;
  return out;
}

/** `<prefix>.<host>.<event_type>`: an event type's dots become extra tokens. */
export function eventSubject(prefix: string, host: string, eventType: string): string {
  return `${prefix}.${host}.${eventType.split('.').map(token).join('.')}`;
}

/** What the stream captures: every host's events, and nothing else (control and KV subjects start otherwise). */
export function streamSubject(prefix: string): string {
  return `${prefix}.*.>`;
}

/** The host an event subject names (its second token). */
export function hostOfSubject(subject: string): string {
  const start = subject.indexOf('.') + 1;
  const end = subject.indexOf('.', start);
  return end === -1 ? subject.slice(start) : subject.slice(start, end);
}

/** Where a host's daemon answers remote control requests: outside the stream (`<prefix>-control.<host>`). */
export function controlSubject(prefix: string, host: string): string {
  return `${prefix}-control.${host}`;
}

/** This host's durable consumer (`<prefix>-<host>`). */
export function consumerName(prefix: string, host: string): string {
  return `${prefix}-${host}`;
}

/** The KV bucket of the hosts' component tables (`<stream>_HOSTS`, key = host). */
export function hostsBucket(stream: string): string {
  return `${stream}_HOSTS`;
}
