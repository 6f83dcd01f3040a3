/** `npm run bench`: see bench/README.md and `npm run bench -- --help`. */
import { parseBenchArgs } from './options.js';
import { formatReport, runBench } from './run.js';

const results = await runBench(parseBenchArgs(process.argv.slice(2)));
console.log(formatReport(results));
