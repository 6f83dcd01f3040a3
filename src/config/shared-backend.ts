import type { ParacleConfig } from './schema.js';

/** How `runs.backend: shared` reaches its services, as the store's SharedStore takes it. */
export interface SharedBackendSettings {
  s3: { endpoint?: string; bucket: string; prefix: string; region?: string; forcePathStyle: boolean };
  postgresUrl: string;
}

/**
 * The shared backend's settings from `runs.s3` and `runs.postgres`; null when either is not
 * set (the schema refuses `backend: shared` without them). `paracle serve`, `store migrate`
 * and the benchmark map the config the same way.
 */
export function sharedBackendSettings(config: ParacleConfig): SharedBackendSettings | null {
  const { s3, postgres } = config.runs;
  if (s3.bucket === null || postgres.url === null) return null;
  return {
    s3: {
      ...(s3.endpoint !== null ? { endpoint: s3.endpoint } : {}),
      bucket: s3.bucket,
      prefix: s3.prefix,
      ...(s3.region !== null ? { region: s3.region } : {}),
      forcePathStyle: s3.force_path_style,
    },
    postgresUrl: postgres.url,
  };
}
