import { isProviderKey } from './provider-key';

describe('isProviderKey', () => {
  it.each(['hibob', 'greenhouse', 'sap_successfactors', 'ms-dynamics', '15five', 'a'.repeat(64)])('accepts %s', (key) => {
    expect(isProviderKey(key)).toBe(true);
  });

  it.each(['HiBob', '-hibob', '_hibob', 'hi bob', 'hibob.', '', 'a'.repeat(65), undefined, 7])('refuses %j', (value) => {
    expect(isProviderKey(value)).toBe(false);
  });
});
