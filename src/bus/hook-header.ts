/**
 * The request header `corral hook` sends its event id in (a UUID): a hook
 * that is both stored and spooled (its POST outlived the hook's budget) is
 * stored once, the store ignoring an id it already has. A module of its own
 * so `corral hook` imports nothing else to name it.
 */
export const HOOK_EVENT_ID_HEADER = 'x-corral-event-id';
