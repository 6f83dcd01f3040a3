import { hashToken, newToken } from '../access/index.js';
import { ConfigError, InvalidInputError } from '../lib/index.js';
import { validateConfig } from '../config/index.js';

/** The flags of `paracle token new`. */
export interface TokenFlags {
  name: string;
  role: string;
  agents?: string[];
  workflows?: string[];
  json?: boolean;
}

const FLAG_OF_KEY: Record<string, string> = { name: '--name', role: '--role', agents: '--agents', workflows: '--workflows', sha256: '--name' };

/** Globs given as repeated flags or comma-separated. */
function globs(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * `paracle token new`: makes a random token, prints it once, and the `access.tokens` entry
 * holding only its SHA-256. The entry is validated by the config schema, so it is accepted
 * as printed; a problem is a usage error naming the flag.
 */
export function tokenNewCommand(flags: TokenFlags): void {
  const token = newToken();
  const agents = globs(flags.agents);
  const workflows = globs(flags.workflows);
  const entry = {
    name: flags.name,
    sha256: hashToken(token),
    role: flags.role,
    ...(agents ? { agents } : {}),
    ...(workflows ? { workflows } : {}),
  };
  try {
    validateConfig({ access: { tokens: [entry] } }, null);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const issue = err.issues[0]!;
    const key = /tokens\[0\]\.(\w+)/.exec(issue.path)?.[1] ?? 'name';
    throw new InvalidInputError(`${FLAG_OF_KEY[key] ?? key} ${issue.message}`);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ token, entry }, null, 2)}\n`);
    return;
  }
  const scope = [agents ? `agents: ${JSON.stringify(agents)}` : null, workflows ? `workflows: ${JSON.stringify(workflows)}` : null].filter(Boolean);
  const line = `- { name: ${JSON.stringify(entry.name)}, sha256: "${entry.sha256}", role: ${entry.role}${scope.map((s) => `, ${s}`).join('')} }`;
  process.stdout.write(
    `New token for "${entry.name}" (role ${entry.role}). It is shown only this once; store it now:\n\n  ${token}\n\n` +
      `Add this entry under access.tokens in the config (it holds only the token's SHA-256):\n\n  ${line}\n`,
  );
}
