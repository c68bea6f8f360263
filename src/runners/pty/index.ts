export { runPty, attachSocketPath, type PtyRunOptions } from './run-pty.js';
export { encodeData, encodeResize, createFrameDecoder, type AttachFrame } from './attach-protocol.js';
