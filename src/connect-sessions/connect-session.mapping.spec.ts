import { ArgumentMetadata } from '@nestjs/common';
import { Tenant } from '../auth/tenant';
import { createValidationPipe, OWNER_FROM_CREDENTIALS, RequestValidationError } from '../common/request-validation.error';
import { ConnectSessionTokenAuthLinkWire } from '../stackone/stackone.types';
import { toConnectSessionResponse, toConnectSessionWire } from './connect-session.mapping';
import { CreateConnectSessionDto } from './dto/create-connect-session.dto';

const tenant = (overrides: Partial<Tenant> = {}): Tenant => ({
  id: 'org_1',
  name: 'Acme Inc',
  username: 'jane@acme.example',
  via: 'jwt',
  principal: 'user-1',
  ...overrides,
});

const pipe = createValidationPipe();
const meta: ArgumentMetadata = { type: 'body', metatype: CreateConnectSessionDto };
const validate = (body: unknown): Promise<CreateConnectSessionDto> =>
  pipe.transform(body, meta) as Promise<CreateConnectSessionDto>;

async function refusal(body: unknown): Promise<RequestValidationError> {
  try {
    await validate(body);
  } catch (err) {
    if (err instanceof RequestValidationError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

describe('toConnectSessionWire', () => {
  it('takes the owner from the tenant and defaults origin_username to the username claim', () => {
    expect(toConnectSessionWire(tenant(), { provider: 'hibob' })).toEqual({
      origin_owner_id: 'org_1',
      origin_owner_name: 'Acme Inc',
      origin_username: 'jane@acme.example',
      provider: 'hibob',
    });
  });

  it('maps every optional field to snake_case and prefers an explicit originUsername', () => {
    const wire = toConnectSessionWire(tenant(), {
      originUsername: 'ops@acme.example',
      provider: 'greenhouse',
      providerVersion: '2.0.0',
      connectorProfileId: 'cp_greenhouse_v2',
      categories: ['ats'],
      accountId: 'acc_1',
      label: 'prod',
      multiple: false,
      metadata: { plan: 'gold', seats: 3, trial: false },
      expiresIn: 600,
      type: 'test',
    });
    expect(wire).toEqual({
      origin_owner_id: 'org_1',
      origin_owner_name: 'Acme Inc',
      origin_username: 'ops@acme.example',
      provider: 'greenhouse',
      provider_version: '2.0.0',
      connector_profile_id: 'cp_greenhouse_v2',
      categories: ['ats'],
      account_id: 'acc_1',
      label: 'prod',
      multiple: false,
      metadata: { plan: 'gold', seats: 3, trial: false },
      expires_in: 600,
      type: 'test',
    });
  });

  it("never sends StackOne's deprecated integration_id, whatever the body", async () => {
    const dto = await validate({ connectorProfileId: 'cp_1', provider: 'hibob', providerVersion: '1.0.0' });
    const wire = toConnectSessionWire(tenant(), dto);
    expect(wire.connector_profile_id).toBe('cp_1');
    expect(wire).not.toHaveProperty('integration_id');
    // Neither spelling gets past validation to be passed on.
    expect((await refusal({ integrationId: 'cp_1' })).errors.map((e) => e.field)).toEqual(['integrationId']);
    expect((await refusal({ integration_id: 'cp_1' })).errors.map((e) => e.field)).toEqual(['integration_id']);
  });

  it('sends no origin_username when neither the body nor the credential has one', () => {
    expect(toConnectSessionWire(tenant({ username: undefined }), {})).not.toHaveProperty('origin_username');
  });
});

describe('toConnectSessionResponse', () => {
  const wire: ConnectSessionTokenAuthLinkWire = {
    id: 42,
    organization_id: 7,
    project_id: 'p1',
    origin_owner_id: 'org_1',
    origin_owner_name: 'Acme Inc',
    origin_username: null,
    provider: 'hibob',
    categories: null,
    created_at: '2026-11-24T10:00:00.000Z',
    token: 'tok',
    auth_link_url: 'https://hub.example/connect?token=tok',
  };

  it('computes expiresAt from created_at and the requested lifetime', () => {
    const res = toConnectSessionResponse(wire, { origin_owner_id: 'org_1', origin_owner_name: 'Acme Inc', expires_in: 600 });
    expect(res.expiresAt).toBe('2026-11-24T10:10:00.000Z');
    expect(res.sessionId).toBe('42');
    expect(res.originUsername).toBeUndefined();
    expect(res.categories).toBeUndefined();
  });

  it.each([
    ['a string organization_id (SDK 4.34.0 on)', { organization_id: 'org-7' }],
    ['a number organization_id', { organization_id: 7 }],
  ])('maps an answer with %s the same way', (_what, over) => {
    const res = toConnectSessionResponse({ ...wire, ...over }, { origin_owner_id: 'org_1', origin_owner_name: 'Acme Inc' });
    expect([res.sessionId, res.originOwnerId]).toEqual(['42', 'org_1']);
  });

  it("echoes StackOne's connector_profile_id as connectorProfileId, and nothing when StackOne has none", () => {
    const sent = { origin_owner_id: 'org_1', origin_owner_name: 'Acme Inc', connector_profile_id: 'cp_9' };
    expect(toConnectSessionResponse({ ...wire, connector_profile_id: 'cp_9' }, sent).connectorProfileId).toBe('cp_9');
    expect(toConnectSessionResponse({ ...wire, connector_profile_id: null }, sent)).not.toHaveProperty('connectorProfileId', expect.anything());
    expect(toConnectSessionResponse(wire, sent).connectorProfileId).toBeUndefined();
  });

  it("uses StackOne's default lifetime of 1800 s when none was requested", () => {
    const res = toConnectSessionResponse(wire, { origin_owner_id: 'org_1', origin_owner_name: 'Acme Inc' });
    expect(res.expiresAt).toBe('2026-11-24T10:30:00.000Z');
  });
});

describe('CreateConnectSessionDto validation', () => {
  it('accepts a full valid body unchanged', async () => {
    const body = {
      originUsername: 'jane@acme.example',
      provider: 'hibob',
      categories: ['hris', 'ats', 'scheduling'],
      accountId: 'acc_1',
      connectorProfileId: 'cp_hibob.v2:eu-1',
      label: 'x',
      multiple: true,
      metadata: { plan: 'gold', seats: 3, trial: false },
      expiresIn: 60,
      type: 'production',
    };
    await expect(validate(body)).resolves.toEqual(expect.objectContaining(body));
  });

  it.each(['originOwnerId', 'originOwnerName', 'origin_owner_id', 'origin_owner_name'])(
    'refuses the owner spelled %s, saying it comes from the credentials',
    async (key) => {
      const err = await refusal({ provider: 'hibob', [key]: 'evil-org' });
      expect(err.message).toBe(OWNER_FROM_CREDENTIALS);
      expect(err.errors).toContainEqual({ field: key, message: OWNER_FROM_CREDENTIALS });
    },
  );

  it('refuses the owner even when sent as null or an empty string', async () => {
    expect((await refusal({ originOwnerId: null })).message).toBe(OWNER_FROM_CREDENTIALS);
    expect((await refusal({ origin_owner_name: '' })).message).toBe(OWNER_FROM_CREDENTIALS);
  });

  it.each([
    ['unknown field', { foo: 1 }, 'foo'],
    ['bad provider', { provider: 'Hi Bob!' }, 'provider'],
    ['unknown category', { categories: ['hris', 'payroll'] }, 'categories'],
    ['duplicate categories', { categories: ['hris', 'hris'] }, 'categories'],
    ['string boolean', { multiple: 'false' }, 'multiple'],
    ['expiresIn too small', { expiresIn: 59 }, 'expiresIn'],
    ['expiresIn too large', { expiresIn: 2_592_001 }, 'expiresIn'],
    ['expiresIn as a string', { expiresIn: '600' }, 'expiresIn'],
    ['expiresIn fractional', { expiresIn: 60.5 }, 'expiresIn'],
    ['bad type', { type: 'staging' }, 'type'],
    ['connectorProfileId empty', { connectorProfileId: '' }, 'connectorProfileId'],
    ['connectorProfileId too long', { connectorProfileId: 'c'.repeat(129) }, 'connectorProfileId'],
    ['connectorProfileId with a path', { connectorProfileId: '../profiles/x' }, 'connectorProfileId'],
    ['connectorProfileId with a space', { connectorProfileId: 'cp 1' }, 'connectorProfileId'],
    ['connectorProfileId as a number', { connectorProfileId: 12 }, 'connectorProfileId'],
    ['label too long', { label: 'x'.repeat(201) }, 'label'],
    ['accountId with a path', { accountId: '../x' }, 'accountId'],
    ['accountId as a URL', { accountId: 'http://evil/' }, 'accountId'],
    ['accountId protocol-relative', { accountId: '//evil' }, 'accountId'],
    ['nested metadata', { metadata: { a: { b: 1 } } }, 'metadata'],
    ['array metadata', { metadata: ['a'] }, 'metadata'],
    ['metadata with too many keys', { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }, 'metadata'],
    ['metadata with thousands of keys', { metadata: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) }, 'metadata'],
    ['metadata string too long', { metadata: { a: 'x'.repeat(501) } }, 'metadata'],
    ['metadata null value', { metadata: { a: null } }, 'metadata'],
  ])('refuses %s with a field error', async (_name, body, field) => {
    const err = await refusal(body);
    expect(err.errors.map((e) => e.field)).toContain(field);
  });

  it('keeps metadata keys named like Object.prototype members, as sent', async () => {
    const metadata = { toString: 'y', valueOf: 1, hasOwnProperty: true, isPrototypeOf: 'i', plan: 'gold' };
    const dto = await validate({ metadata });
    expect(Object.entries(dto.metadata ?? {})).toEqual(Object.entries(metadata));
    expect(toConnectSessionWire(tenant(), dto).metadata).toEqual(metadata);
  });

  it.each([
    ['constructor', '{"metadata": {"constructor": "x", "plan": "gold"}}', ['metadata.constructor']],
    ['__proto__', '{"metadata": {"__proto__": "p", "plan": "gold"}}', ['metadata.__proto__']],
    ['prototype', '{"metadata": {"prototype": 1}}', ['metadata.prototype']],
    ['constructor at the top', '{"constructor": {"prototype": {"polluted": "yes"}}, "provider": "hibob"}', ['constructor']],
  ])('refuses a %s key (which Nest would delete) with a field error naming where it was', async (_n, json, fields) => {
    const err = await refusal(JSON.parse(json));
    expect(err.errors.map((e) => e.field)).toEqual(fields);
    expect(err.message).toMatch(/reserved key names/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not let __proto__ or constructor keys pollute Object.prototype', async () => {
    const body = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}, "provider": "hibob"}');
    await validate(body).catch(() => undefined);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
