import { isStackOneCategory, STACKONE_CATEGORIES } from './stackone.categories';

describe('isStackOneCategory', () => {
  it.each([...STACKONE_CATEGORIES])('accepts %s', (category) => {
    expect(isStackOneCategory(category)).toBe(true);
  });

  it.each(['payroll', 'HRIS', ' hris', '', undefined, 1])('refuses %j', (value) => {
    expect(isStackOneCategory(value)).toBe(false);
  });
});
