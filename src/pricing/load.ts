import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { updatePrices } from '@pydantic/genai-prices';
import type { Provider } from '@pydantic/genai-prices';
import { ConfigError, StartupError, describeError } from '../lib/index.js';
import { parseOverrides } from './overrides.js';
import type { PriceOverride } from './overrides.js';
import { createPriceBook } from './price-book.js';
import type { PriceBook } from './price-book.js';

/** Where the price data comes from (config `pricing`). */
export interface PriceBookFiles {
  /** Local overrides (config/pricing.yaml); a missing file means none. */
  overrides: string;
  /** A newer genai-prices data file (JSON list of providers); null: the bundled data. */
  dataFile: string | null;
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

async function readOverrides(file: string): Promise<PriceOverride[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StartupError(`cannot read the pricing overrides ${file}: ${describeError(err)}`, { cause: err });
  }
  return parseOverrides(text, file);
}

async function readDataFile(file: string): Promise<{ providers: Provider[]; text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StartupError(`cannot read the pricing data file ${file}: ${describeError(err)}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(file, [{ path: '(file)', message: 'is not valid JSON' }]);
  }
  const valid = Array.isArray(value) && value.every((p) => typeof p === 'object' && p !== null && typeof (p as Provider).id === 'string' && Array.isArray((p as Provider).models));
  if (!valid) throw new ConfigError(file, [{ path: '(file)', message: 'must be a genai-prices data file: a list of providers with id and models' }]);
  return { providers: value as Provider[], text };
}

/** The installed genai-prices version: the version of its bundled data. */
async function bundledVersion(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Loads the price book once at start: overrides, and a data file that replaces the bundled
 * genai-prices data for the whole process (the library keeps one active data set). Its
 * version is `genai-prices@{version}`, plus `+data.{hash}` and `+overrides.{hash}` (of the
 * parsed entries, so comments do not change it) when they are used. Throws
 * {@link ConfigError} or {@link StartupError} with one sentence when a file is bad.
 */
export async function loadPriceBook(files: PriceBookFiles): Promise<PriceBook> {
  const overrides = await readOverrides(files.overrides);
  let version = `genai-prices@${await bundledVersion()}`;
  if (files.dataFile !== null) {
    const data = await readDataFile(files.dataFile);
    try {
      updatePrices(({ setProviderData }) => setProviderData(data.providers));
    } catch (err) {
      throw new ConfigError(files.dataFile, [{ path: '(file)', message: describeError(err) }]);
    }
    version += `+data.${shortHash(data.text)}`;
  }
  if (overrides.length > 0) {
    const canonical = JSON.stringify(overrides.map(({ modelRegex: _compiled, ...entry }) => entry));
    version += `+overrides.${shortHash(canonical)}`;
  }
  return createPriceBook(overrides, version);
}
