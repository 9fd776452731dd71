/** Days a trial lasts: new agencies get trial_ends_at = now() + TRIAL_DAYS (tenancy/agencies.ts); signup says so. Shared with the browser. */
export const TRIAL_DAYS = 14;
