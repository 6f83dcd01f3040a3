import { AccessControl, checkExposure, failureError, ingestTokensRequired, type AccessSettings, type AuthFailure, type Listeners } from '../access/index.js';
import { createAuthorizer, METRICS_PATH, type AuthorizerOptions, type RouterOptions } from '../api/index.js';
import { AuditTrail, type AuditLog } from '../audit/index.js';
import type { ParacleConfig } from '../config/index.js';
import { describeError, TlsSource } from '../lib/index.js';
import type { IngestGate } from '../receiver/otlp/index.js';
import type { Logger, Metrics } from '../telemetry/index.js';

/** Access control, audit trail and TLS, wired for one daemon. */
export interface Security {
  access: AccessControl;
  audit: AuditTrail;
  /** Null when `daemon.tls` is not set. */
  tls: TlsSource | null;
  /** The OTLP receivers' credential check. */
  gate: IngestGate;
  /** The API router's authorization, audit and allowed hosts. */
  router: RouterOptions;
  /** Applies a reloaded config's `access` section; returns why it was refused, or null. */
  reconfigure(next: ParacleConfig): string | null;
}

/** The access settings of `config` for these listeners, after the start-up rules (a StartupError when broken). */
function accessSettings(config: ParacleConfig, listeners: Listeners): AccessSettings {
  const policy = {
    allowUnauthenticated: config.access.allow_unauthenticated,
    tokens: config.access.tokens,
    ingestTokensRequired: config.access.ingest_tokens_required,
  };
  checkExposure(listeners, policy);
  return { tokens: policy.tokens, metricsPublic: config.access.metrics_public, ingestTokensRequired: ingestTokensRequired(listeners, policy) };
}

/**
 * Builds the daemon's security from its config: refuses to start when the access rules are
 * broken (INTERFACE.md §4, §9) or the TLS files are unusable, and wires the API's
 * authorization hook, the OTLP gate and the audit trail to one access policy. Refusals are
 * counted in `paracle_auth_failures_total` and audited.
 */
export async function buildSecurity(
  config: ParacleConfig,
  listeners: Listeners,
  runsDir: string,
  runSubject: AuthorizerOptions['runSubject'],
  metrics: Metrics,
  logger: Logger,
): Promise<Security> {
  const access = new AccessControl(accessSettings(config, listeners));
  const auditLogger = logger.child({ component: 'audit' });
  const log: AuditLog = (level, message, fields) => auditLogger[level](fields, message);
  const audit = new AuditTrail({ runsDir, log, retentionDays: config.access.audit_retention_days });
  const tlsLogger = logger.child({ component: 'tls' });
  const files = config.daemon.tls;
  const tls = files
    ? await TlsSource.load(
        { certFile: files.cert_file, keyFile: files.key_file, clientCaFile: files.client_ca_file },
        {
          onReload: () => tlsLogger.info({ cert_file: files.cert_file }, 'TLS certificate reloaded'),
          onReloadError: (err) => tlsLogger.error({ err: describeError(err) }, 'TLS files changed but cannot be used; the previous certificate stays'),
        },
      )
    : null;
  const authLogger = logger.child({ component: 'access' });
  const refused = async (failure: AuthFailure, runId?: string): Promise<void> => {
    metrics.authFailed(failure.reason);
    authLogger.debug({ reason: failure.reason, actor: failure.actor, run_id: runId }, 'request refused');
    // The request is refused either way; a trail that cannot be written is logged, not answered.
    await audit.authFailure(failure.actor, failure.reason, runId).catch((err: unknown) => authLogger.error({ err }, 'could not audit a refused request'));
  };
  const gate: IngestGate = {
    admit(authorization) {
      const decision = access.authorizeIngest(authorization);
      if (!decision.failure) return undefined;
      const { failure } = decision;
      return refused(failure).then(() => Promise.reject(failureError(failure)));
    },
  };
  const authorize = createAuthorizer({
    access,
    runSubject,
    refused,
    isPublic: (route) => route.path === METRICS_PATH && access.metricsPublic,
  });
  return {
    access,
    audit,
    tls,
    gate,
    router: { authorize, audit, allowedHosts: config.daemon.allowed_hosts },
    reconfigure(next) {
      try {
        access.update(accessSettings(next, listeners));
      } catch (err) {
        return describeError(err);
      }
      audit.setRetention(next.access.audit_retention_days);
      return null;
    },
  };
}
