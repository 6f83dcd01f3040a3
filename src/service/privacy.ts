import type { UploadScrubber } from '../api/index.js';
import type { ParacleConfig } from '../config/index.js';
import { StartupError } from '../lib/index.js';
import { RedactionTally, Scrubber, scrubTextStream } from '../privacy/index.js';
import type { Metrics } from '../telemetry/index.js';

/** The privacy pieces the daemon is built with. */
export interface PrivacyParts {
  scrubber: Scrubber;
  /** Scrubs a text that reaches a log line or an answer without passing the pipeline. */
  redactText: (text: string) => string;
  /** Scrubs artifact uploads; undefined when nothing is scrubbed. */
  uploads: UploadScrubber | undefined;
}

/**
 * Compiles the `privacy` settings once into the daemon's scrubber (INTERFACE.md §8) and what
 * uses it outside the pipeline; every kind it can count starts its series at 0.
 *
 * @throws StartupError when `replacement` is `hmac` and `hmac_key_env` names an unset variable.
 */
export function privacyParts(privacy: ParacleConfig['privacy'], env: NodeJS.ProcessEnv, metrics: Metrics): PrivacyParts {
  const hmacKey = env[privacy.hmac_key_env];
  if (privacy.replacement === 'hmac' && (hmacKey === undefined || hmacKey === '')) {
    throw new StartupError(
      `privacy.replacement is "hmac" but the environment variable ${privacy.hmac_key_env} (privacy.hmac_key_env) is not set: set it to a secret key, or use replacement "label"`,
    );
  }
  const scrubber = new Scrubber({
    scrubPii: privacy.scrub_pii,
    scrubSecrets: privacy.scrub_secrets,
    replacement: privacy.replacement,
    hmacKey,
    customPatterns: privacy.custom_patterns,
    allowKeys: privacy.allow_keys,
  });
  metrics.redactionKinds(scrubber.kinds);
  const redactText = (text: string): string => {
    const tally = new RedactionTally();
    const out = scrubber.text(text, tally);
    metrics.redacted(tally.entries());
    return out;
  };
  const uploads: UploadScrubber | undefined = scrubber.active
    ? { name: redactText, content: () => scrubTextStream(scrubber, (tally) => metrics.redacted(tally.entries())) }
    : undefined;
  return { scrubber, redactText, uploads };
}
