import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const repoRoot = join(__dirname, '..', '..');
export const prometheusDir = join(repoRoot, 'deploy', 'prometheus');

export interface PromRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface PromRuleFile {
  file: string;
  groups: { name: string; rules: PromRule[] }[];
}

/** Every deploy/prometheus/*.rules.yml, parsed. */
export function prometheusRuleFiles(): PromRuleFile[] {
  return readdirSync(prometheusDir)
    .filter((f) => f.endsWith('.rules.yml'))
    .sort()
    .map((file) => ({ file, ...(parse(readFileSync(join(prometheusDir, file), 'utf8')) as Omit<PromRuleFile, 'file'>) }));
}

/** The anchors of docs/operations.md's headings, as GitHub renders them (lower case, punctuation dropped, spaces to '-'). */
export function operationsAnchors(): Set<string> {
  const text = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}
