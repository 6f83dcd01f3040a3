/**
 * Sensitive key names (INTERFACE.md §8): the value of a key named like authorization,
 * api_key, password, secret or token is a secret whatever it looks like. Case and separators
 * are ignored (`x-api-key`, `db.password`, `OPENAI_API_KEY`, `clientSecret`), and token counts
 * are not tokens: `gen_ai.usage.*` never matches, and a `token`/`tokens` key only matches a
 * value that is not a number.
 */

/** Keys under this prefix are usage figures (`gen_ai.usage.input_tokens`), never secrets. */
const USAGE_PREFIX = 'gen_ai.usage.';

/** Words that make a key sensitive wherever they stand in it (also as a word's ending: `dbpassword`). */
const ANYWHERE = ['password', 'passwd', 'passphrase', 'secret', 'secrets', 'authorization', 'credential', 'credentials', 'apikey', 'privatekey'];

/** Words that make a key sensitive as its last word only: `access_token`, not `token_count` or `tokenizer`. */
const LAST = ['token', 'tokens'];

/** Two-word spellings joined into one word above. */
const PAIRS: Record<string, string> = { 'api key': 'apikey', 'private key': 'privatekey' };

/** What a key's name says about its value. */
export type KeyClass = 'plain' | 'secret' | 'token';

/** The words of a key, lower case: split at separators and camelCase humps. */
export function keyWords(key: string): string[] {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const joined: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const pair = PAIRS[`${words[i]} ${words[i + 1]}`];
    if (pair !== undefined) {
      joined.push(pair);
      i++;
    } else joined.push(words[i]!);
  }
  return joined;
}

/**
 * `secret` when a key's value is a secret, `token` when it is unless it is a number (a
 * `token` key: counts share the name), `plain` otherwise.
 */
export function classifyKey(key: string): KeyClass {
  if (key.startsWith(USAGE_PREFIX)) return 'plain';
  const words = keyWords(key);
  if (words.some((w) => ANYWHERE.some((s) => w === s || (w.endsWith(s) && w.length > s.length)))) return 'secret';
  const last = words.at(-1);
  if (last !== undefined && LAST.some((s) => last === s || last.endsWith(s))) return 'token';
  return 'plain';
}

/** A number written as text: what a `token` key's value may be and stay. */
export function isNumeric(text: string): boolean {
  return /^\s*[-+]?\d+(?:\.\d+)?\s*$/.test(text);
}

/**
 * Remembers the class of each key seen (attribute keys repeat in every span), up to a bound
 * so a sender inventing keys cannot grow it without limit.
 */
export class KeyClassifier {
  private readonly cache = new Map<string, KeyClass>();

  constructor(private readonly max = 4096) {}

  classify(key: string): KeyClass {
    let found = this.cache.get(key);
    if (found === undefined) {
      found = classifyKey(key);
      if (this.cache.size >= this.max) this.cache.clear();
      this.cache.set(key, found);
    }
    return found;
  }
}
