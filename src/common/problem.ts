/** Problem type URIs (RFC 9457 §3.1.1): stable identifiers callers can switch on. */
const PROBLEM_TYPE_PREFIX = 'urn:stackone-connect-service:problem:';
export const problemType = (slug: string): string => `${PROBLEM_TYPE_PREFIX}${slug}`;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}
