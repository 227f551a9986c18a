import { isIP } from 'node:net';

/** localhost, 127.0.0.0/8 or ::1: the hosts plain http may reach without an explicit opt-in. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
