import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { clientErrorHandler, clientErrorProblem, connectionsCheckingInterval } from './http-edge';

describe(clientErrorProblem.name, () => {
  it('maps Node-level client errors to 408, 431 and 400', () => {
    expect(clientErrorProblem('ERR_HTTP_REQUEST_TIMEOUT', 30_000)).toMatchObject({ status: 408, detail: expect.stringContaining('30000 ms') });
    expect(clientErrorProblem('HPE_HEADER_OVERFLOW', 30_000)).toMatchObject({ status: 431 });
    expect(clientErrorProblem('HPE_INVALID_METHOD', 30_000)).toMatchObject({ status: 400 });
    expect(clientErrorProblem(undefined, 30_000)).toMatchObject({ status: 400 });
  });
});

describe(connectionsCheckingInterval.name, () => {
  it('checks often enough that a request is cut off well within twice its limit', () => {
    expect(connectionsCheckingInterval(30_000)).toBe(1_000);
    expect(connectionsCheckingInterval(500)).toBe(125);
    expect(connectionsCheckingInterval(100)).toBe(50);
  });
});

describe(clientErrorHandler.name, () => {
  const fakeSocket = (inFlight?: object): { socket: Socket; written: () => string; destroyed: () => boolean } => {
    const stream = new PassThrough();
    let out = '';
    let destroyed = false;
    const socket = Object.assign(stream, {
      _httpMessage: inFlight,
      write: (chunk: string) => ((out += chunk), true),
      destroy: () => ((destroyed = true), stream),
    }) as unknown as Socket;
    return { socket, written: () => out, destroyed: () => destroyed };
  };

  it('writes a problem+json answer and closes the socket', () => {
    const { socket, written, destroyed } = fakeSocket({ headersSent: false, req: { url: '/v1/connect-sessions?x=secret' } });
    clientErrorHandler(500)(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
    const [head, body] = written().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(head).toContain('content-type: application/problem+json');
    expect(JSON.parse(body)).toMatchObject({ status: 408, instance: '/v1/connect-sessions', requestId: expect.any(String) });
    expect(head).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(destroyed()).toBe(true);
  });

  it('writes nothing once a response has started, and ignores resets', () => {
    const started = fakeSocket({ headersSent: true });
    clientErrorHandler(500)(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), started.socket);
    expect(started.written()).toBe('');
    expect(started.destroyed()).toBe(true);
    const reset = fakeSocket();
    clientErrorHandler(500)(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), reset.socket);
    expect([reset.written(), reset.destroyed()]).toEqual(['', false]);
  });
});
