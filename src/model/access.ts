/** Why a request was refused: no token, an unknown one, a role it lacks, a run outside its scope. */
export const AUTH_FAILURE_REASONS = ['missing', 'unknown', 'role', 'scope'] as const;

/** One reason of {@link AUTH_FAILURE_REASONS} (`paracle_auth_failures_total{reason}`). */
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];
