export { Maintenance } from './maintenance.js';
export type { MaintenanceOptions, JobRequest } from './maintenance.js';
export type { JobReport, JobAction } from './jobs.js';
export { planRetention, planSampling, inTraceSample, keptPerSubject, isArchiveExpired } from './policy.js';
export type { RunsPolicy, Leaving, LeaveReason } from './policy.js';
export { MaintenanceLease, LEASE_FOLDER } from './lease.js';
