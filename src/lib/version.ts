import { readFileSync } from 'node:fs';

let version: string | undefined;

/** The version of the installed package (its package.json, read once). */
export function packageVersion(): string {
  // src/lib/ and dist/lib/ both sit two levels below the package root.
  version ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}
