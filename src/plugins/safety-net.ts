import { basename, dirname } from 'node:path';
import type { Logger } from './types.js';
import { loadedPluginFiles } from './loader.js';

/**
 * Keeps a plugin's stray errors from taking the daemon down. Errors inside
 * a lifecycle's methods are already contained by `createLifecycle`; this is
 * for what escapes them: a promise a plugin forgot to await, a throw in one
 * of its timers. An unhandled rejection is logged (naming the plugin when its
 * stack shows one) and never ends the process. An uncaught exception is
 * logged and swallowed only when its stack points into a plugin's files;
 * anything else is corral's own bug and ends the process with exit 1 as
 * Node would, after `onFatal` (the daemon's chance to stop its groups).
 * Returns the function that removes the handlers.
 */
export function installPluginSafetyNet(logger: Logger, onFatal?: (err: unknown) => void): () => void {
  const onRejection = (reason: unknown) => {
    const plugin = pluginOf(reason);
    logger.error(`unhandled rejection${plugin ? ` in plugin "${plugin}"` : ''}: ${describe(reason)}`);
  };
  const onException = (err: unknown) => {
    const plugin = pluginOf(err);
    if (plugin) {
      logger.error(`uncaught exception in plugin "${plugin}" (contained): ${describe(err)}`);
      return;
    }
    logger.error(`uncaught exception: ${describe(err)}`);
    try {
      onFatal?.(err);
    } finally {
      process.exit(1);
    }
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

/** The plugin whose files appear in the error's stack, if any. */
export function pluginOf(err: unknown): string | null {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  if (!stack) return null;
  for (const [file, ref] of loadedPluginFiles()) {
    // A directory plugin's other modules count as the plugin's too; a single-file plugin is just its file.
    const scope = basename(file).startsWith('index.') ? `${dirname(file)}/` : file;
    if (stack.includes(scope)) return ref; // stack frames show either the path or file://path
  }
  return null;
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
