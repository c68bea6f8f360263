export { runProcess, type ProcessRunOptions } from './run-process.js';
export { splitCommand } from './split-command.js';
export { isGroupAlive, isProcessRunning, listGroupMembers, signalGroup, stopGroup, waitGroupGone } from './group.js';
