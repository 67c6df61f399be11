/**
 * Metric names a PromQL expression selects. A small lexical pass, not a parser: string literals, label
 * matchers, ranges and grouping clauses are removed, then every remaining identifier that is not a function
 * call, a keyword or a number is a metric name. promtool (check rules) is what proves the expression parses.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const [name, call] = [match[0], match[1]];
    if (call || KEYWORDS.has(name.toLowerCase())) continue;
    const before = stripped[match.index - 1];
    if (before && /[0-9.]/.test(before)) continue; // the unit of a duration or an exponent (5m, 1e3)
    names.add(name);
  }
  return [...names];
}

/** Grafana's template variables replaced by values Prometheus accepts, so promtool can check the query. */
export function withVariables(expr: string, values: Record<string, string> = {}): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, values.interval ?? '5m')
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => values[name] ?? '.*');
}

/** Series names a `/metrics` scrape exposes, from its `# TYPE` lines (histogram → _bucket, _sum, _count). */
export function exposedNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of scrape.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
