export { registerRunsCommands } from './register.js';
