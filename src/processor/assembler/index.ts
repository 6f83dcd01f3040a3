export { TraceAssembler } from './assembler.js';
export type { AssemblerOptions } from './assembler.js';
export type { AssemblyTiming } from './trace-state.js';
