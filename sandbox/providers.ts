/** Providers enabled in the sandbox's "project" by default (key, display name, category). */
export interface SandboxProvider {
  key: string;
  name: string;
  category: string;
  /** How the hub connects it: a credentials form (default) or an OAuth consent popup. */
  auth?: 'oauth2';
}

export const DEFAULT_PROVIDERS: SandboxProvider[] = [
  { key: 'hibob', name: 'HiBob', category: 'hris' },
  { key: 'bamboohr', name: 'BambooHR', category: 'hris' },
  { key: 'personio', name: 'Personio', category: 'hris' },
  { key: 'workday', name: 'Workday', category: 'hris' },
  { key: 'greenhouse', name: 'Greenhouse', category: 'ats' },
  { key: 'lever', name: 'Lever', category: 'ats' },
  { key: 'ashby', name: 'Ashby', category: 'ats' },
  { key: 'salesforce', name: 'Salesforce', category: 'crm', auth: 'oauth2' },
  { key: 'hubspot', name: 'HubSpot', category: 'crm', auth: 'oauth2' },
  { key: 'pipedrive', name: 'Pipedrive', category: 'crm' },
  { key: 'okta', name: 'Okta', category: 'iam' },
  { key: 'xero', name: 'Xero', category: 'accounting', auth: 'oauth2' },
  { key: 'calendly', name: 'Calendly', category: 'scheduling', auth: 'oauth2' },
  { key: 'calcom', name: 'Cal.com', category: 'scheduling' },
];

/** `SANDBOX_PROVIDERS=hibob,greenhouse` narrows the defaults; unknown keys become category "hris". */
export function providersFrom(list: string | undefined): SandboxProvider[] {
  if (!list) return DEFAULT_PROVIDERS;
  return list
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((key) => DEFAULT_PROVIDERS.find((p) => p.key === key) ?? { key, name: key, category: 'hris' });
}
