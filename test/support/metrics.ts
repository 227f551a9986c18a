/**
 * The value of one series in a /metrics text (Prometheus exposition format), 0 when the series has
 * not been written yet. `labels` must name every label of the series. Tests read a counter before
 * and after what they do and compare the two, so no test depends on what earlier tests counted.
 */
export function counterValue(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  for (const line of metricsText.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const seen = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]).sort(([a], [b]) => a.localeCompare(b));
    if (JSON.stringify(seen) === JSON.stringify(wanted)) return Number(m[3]);
  }
  return 0;
}
