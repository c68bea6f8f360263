import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { parseArgs, UsageError } from './args.js';
import { usageLine } from './main.js';
import { runCommand } from './run-command.js';

/**
 * `corral mcp [-c FILE] [--allow-control]`: a Model Context Protocol server
 * on stdin/stdout for Claude Code (`claude mcp add corral -- corral mcp`).
 * stdout carries protocol messages only: anything corral has to say goes to
 * stderr. It starts without a daemon; each tool call finds the daemon anew
 * and answers with an error naming the problem until one is up.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, { 'allow-control': 'boolean' });
    if (positionals.length > 0) throw new UsageError(`takes no arguments, got "${positionals.join(' ')}"\n${usageLine('mcp')}`);
    const { createMcpServer } = await import('../mcp/server.js');
    const mcp = createMcpServer({ config: flags.config as string | undefined, allowControl: flags['allow-control'] === true });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await mcp.connect(transport);
    process.stderr.write(`corral mcp: serving on stdio${flags['allow-control'] ? ' (control tools on)' : ''}\n`);
    await closed;
    await mcp.close();
    return 0;
  }, 'mcp');
}
