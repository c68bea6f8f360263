import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { corralVersion } from '../version.js';
import { createDaemonLink } from './daemon-link.js';
import { registerResources } from './resources.js';
import { registerControlTools, registerReadTools } from './tools.js';

export interface McpOptions {
  /** The config (-c FILE); else found from the working directory up, as every command finds it. */
  config?: string;
  /** Register the tools that change things (start, stop, restart, reload). */
  allowControl?: boolean;
}

const INSTRUCTIONS = `corral supervises this project's components (servers, workers, agents' tools) and stores every event of its bus, Claude Code's hooks included.
To find out why something broke: recent_errors, then component_logs for that component (its last lines and its lifecycle events: exit code, signal, reason). list_components shows what runs now; query_events searches the history.`;

/** Builds the MCP server of `corral mcp` (connect it to a transport to serve). */
export function createMcpServer(opts: McpOptions = {}): { server: McpServer; connect(transport: Transport): Promise<void>; close(): Promise<void> } {
  const server = new McpServer({ name: 'corral', version: corralVersion() }, { instructions: opts.allowControl ? `${INSTRUCTIONS}\nControl tools (start, stop, restart, reload) act on the running ecosystem.` : INSTRUCTIONS });
  const link = createDaemonLink(opts.config);
  registerReadTools(server, link);
  if (opts.allowControl) registerControlTools(server, link);
  const resources = registerResources(server, link);
  return {
    server,
    connect: (transport) => server.connect(transport),
    async close() {
      await resources.close();
      await server.close();
    },
  };
}
