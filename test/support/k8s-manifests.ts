import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './deploy-files';

export const k8sDir = join(repoRoot, 'deploy', 'k8s');

/** The fields of a Kubernetes object the checks read; the rest is left to the schema validation. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Kustomization {
  apiVersion: string;
  kind: 'Kustomization' | 'Component';
  resources?: string[];
  components?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path?: string; patch?: string; target?: { group?: string; version?: string; kind: string; name: string } }[];
}

export interface LoadedManifest {
  file: string;
  object: K8sObject;
}

export const readYaml = <T>(file: string): T => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as T)[0];

/** The objects of every YAML file in a directory besides its kustomization.yaml (one document per file here). */
export function manifestsIn(dir: string): LoadedManifest[] {
  return yamlFilesIn(dir)
    .filter((f) => f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => ({ file: f, object: d.toJS() as K8sObject })));
}

export const yamlFilesIn = (dir: string): string[] => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && statSync(join(dir, f)).isFile()).sort();

/**
 * What `kustomize build dir` would start from, without kustomize: the objects of its resources
 * (files, or directories holding a kustomization) and components, recursively, before patches.
 */
export function kustomizeResources(dir: string): LoadedManifest[] {
  const k = readYaml<Kustomization>(join(dir, 'kustomization.yaml'));
  return [...(k.resources ?? []), ...(k.components ?? [])].flatMap((entry) => {
    const path = join(dir, entry);
    if (!existsSync(path)) throw new Error(`${relative(k8sDir, join(dir, 'kustomization.yaml'))} lists ${entry}, which does not exist`);
    if (statSync(path).isDirectory()) return kustomizeResources(path).map((m) => ({ ...m, file: relative(dir, join(path, m.file)) }));
    return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => ({ file: entry, object: d.toJS() as K8sObject }));
  });
}

/** The kubernetes-models class for an apiVersion/kind (ESM-only packages, hence the dynamic import). */
export async function modelClass(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const module = (
    apiVersion.startsWith('monitoring.coreos.com/')
      ? await import(`@kubernetes-models/prometheus-operator/${apiVersion}`)
      : await import(`kubernetes-models/${apiVersion}`)
  ) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = module[kind];
  if (model === undefined) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model;
}
