export { Maintenance } from './maintenance.js';
export type { JobRequest } from './maintenance.js';
export type { JobReport, JobAction } from './jobs.js';
export { planRetention, planSampling, inTraceSample, keptPerSubject, isArchiveExpired } from './policy.js';
export type { RunsPolicy } from './policy.js';
export { MaintenanceLease, SharedMaintenanceLease, LEASE_FOLDER, SHARED_LEASE_NAME } from './lease.js';
export type { Lease } from './lease.js';
