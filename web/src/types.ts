// The client's types are the server's: the zod-inferred types of src/schema (type imports only: no zod in the page).
export type { CorralEvent, ServerMessage, ErrorData, ResourcePayload, EventFilter, ToolUsePayload } from '../../src/schema/index.js';
export type { DashboardComponent, DashboardComponents, DashboardLog, DashboardLogLine, ResourcePoint } from '../../src/schema/dashboard.js';
