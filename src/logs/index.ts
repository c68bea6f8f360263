export { createLogSink, type LogSinkOptions } from './create-log-sink.js';
export { readLogTail, readLastLines, listLogNames, hasLog } from './read-log-tail.js';
export { followLogs, type FollowOptions } from './follow-logs.js';
export { formatLogLine, parseLogLine, logFileName } from './format.js';
export type { LogLine, LogSink, LogStream } from './types.js';
export { createLogLoad, type LogLoad } from './load.js';
export { terminalText } from './terminal-text.js';
export { noteRestarts } from './restart-notes.js';
