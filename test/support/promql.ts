/**
 * The metric names a PromQL expression reads, by a small tokenizer rather than a full parser: label
 * matchers `{…}`, ranges and subqueries `[…]`, strings, numbers, Grafana variables (`$x`, `${x}`),
 * grouping lists (`by (…)`, `on (…)`, `group_left (…)`…), keywords, aggregation operators and function names (an identifier
 * followed by `(`) are skipped; every other identifier is a metric name. Good for the rules and
 * dashboard of deploy/, which use nothing more exotic.
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);
/** Aggregation operators: `sum by (job) (…)` puts a grouping between the name and its `(`. */
const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
for (const a of AGGREGATIONS) KEYWORDS.add(a);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

export function metricNamesInPromQL(expr: string): Set<string> {
  const names = new Set<string>();
  let i = 0;
  let afterGrouping = false;
  const skipTo = (close: string): void => {
    while (i < expr.length && expr[i] !== close) i += expr[i] === '"' || expr[i] === "'" || expr[i] === '`' ? skipString(expr, i) : 1;
    i += 1;
  };
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      i += skipString(expr, i);
    } else if (c === '{') {
      skipTo('}');
    } else if (c === '[') {
      skipTo(']');
    } else if (c === '#') {
      skipTo('\n');
    } else if (c === '$') {
      i += expr[i + 1] === '{' ? expr.indexOf('}', i) - i + 1 : (/^\$\w+/.exec(expr.slice(i))?.[0].length ?? 1);
    } else if (/[0-9.]/.test(c)) {
      i += /^[0-9.]+(e[+-]?\d+)?[a-z]*/i.exec(expr.slice(i))?.[0].length ?? 1;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const word = /^[a-zA-Z_:][\w:]*/.exec(expr.slice(i))?.[0] ?? c;
      i += word.length;
      const next = /^\s*(.)/.exec(expr.slice(i))?.[1];
      if (GROUPING.has(word)) {
        afterGrouping = true;
        continue;
      }
      if (!KEYWORDS.has(word) && next !== '(') names.add(word);
    } else if (c === '(' && afterGrouping) {
      skipTo(')');
    } else {
      i += 1;
    }
    if (!/\s/.test(c)) afterGrouping = false;
  }
  return names;
}

function skipString(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' && quote !== '`' ? 2 : 1;
  return i + 1 - start;
}
