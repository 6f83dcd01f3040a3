// Writes the generated docs (npm run docs, after the build): docs/configuration.md from the
// config schema. A test in npm test fails while the committed file differs from this output.
import { writeFile } from 'node:fs/promises';
import { configReference } from '../dist/config/index.js';

const target = new URL('../docs/configuration.md', import.meta.url);
await writeFile(target, configReference());
console.log(`wrote ${target.pathname}`);
