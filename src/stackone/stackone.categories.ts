/** StackOne's connector categories, as its API names them (a wire fact: the list changes with StackOne, not with us). */
export const STACKONE_CATEGORIES = [
  'ats',
  'hris',
  'hris-legacy',
  'crm',
  'iam',
  'marketing',
  'lms',
  'stackone',
  'documents',
  'ticketing',
  'screening',
  'messaging',
  'accounting',
  // Since SDK 4.32.2.
  'scheduling',
] as const;
export type StackOneCategory = (typeof STACKONE_CATEGORIES)[number];

export function isStackOneCategory(value: unknown): value is StackOneCategory {
  return (STACKONE_CATEGORIES as readonly unknown[]).includes(value);
}
