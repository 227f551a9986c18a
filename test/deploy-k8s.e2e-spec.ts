import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_KEYS, loadConfig } from '../src/app.config';
import { TEST_STACKONE_KEY } from './support/config';
import { repoRoot } from './support/deploy-files';
import { TEST_JWT_SECRET } from './support/jwt';
import { K8sObject, k8sDir, Kustomization, kustomizeResources, LoadedManifest, manifestsIn, modelClass, readYaml, yamlFilesIn } from './support/k8s-manifests';
import { ServiceProcess, startServiceProcess } from './support/processes';

/**
 * No kustomize, helm or kubeconform here: the manifests are validated against Kubernetes' schemas
 * (kubernetes-models, and its Prometheus Operator models for the ServiceMonitor) and against the
 * service itself: its probe routes and port, the variables it documents, its drain.
 */
type Probe = { httpGet: { path: string; port: string | number } };
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } } };
type Container = {
  name: string;
  image: string;
  ports: { name: string; containerPort: number; protocol: string }[];
  env: EnvVar[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle: { preStop: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
};
type PodSpec = {
  containers: Container[];
  securityContext: Record<string, unknown>;
  terminationGracePeriodSeconds: number;
  volumes: { name: string; emptyDir?: Record<string, unknown> }[];
  serviceAccountName: string;
};
type Deployment = K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

const baseDir = join(k8sDir, 'base');
const overlayDir = join(k8sDir, 'overlays', 'example');
const base = kustomizeResources(baseDir);
const overlay = kustomizeResources(overlayDir);
const find = <T extends K8sObject>(set: LoadedManifest[], kind: string): T => {
  const found = set.filter((m) => m.object.kind === kind);
  expect({ kind, count: found.length }).toEqual({ kind, count: 1 });
  return found[0].object as T;
};
const deployment = find<Deployment>(base, 'Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const configMap = find<K8sObject & { data: Record<string, string> }>(base, 'ConfigMap');
const podLabels = deployment.spec.template.metadata.labels;
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
const documented = new Set([...readFileSync(join(repoRoot, '.env.example'), 'utf8').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

describe('deploy/k8s kustomize base and overlay', () => {
  it('lists every manifest of the base in its kustomization, and every listed file exists', () => {
    const k = readYaml<Kustomization>(join(baseDir, 'kustomization.yaml'));
    expect([...(k.resources ?? [])].sort()).toEqual(yamlFilesIn(baseDir).filter((f) => f !== 'kustomization.yaml'));
    expect(base.map((m) => m.object.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort(),
    );
  });

  it('keeps the ServiceMonitor out of the base: an optional component the example overlay includes', () => {
    expect(base.some((m) => m.object.kind === 'ServiceMonitor')).toBe(false);
    const component = readYaml<Kustomization>(join(k8sDir, 'components', 'servicemonitor', 'kustomization.yaml'));
    expect(component.kind).toBe('Component');
    expect(overlay.filter((m) => m.object.kind === 'ServiceMonitor')).toHaveLength(1);
  });

  it("validates every object of the base, the component and the overlay against Kubernetes' schemas", async () => {
    const all = [...overlay, ...manifestsIn(overlayDir).filter((m) => !m.file.endsWith('-patch.yaml'))];
    expect(all.length).toBeGreaterThan(base.length);
    for (const { file, object } of all) {
      const Model = await modelClass(object.apiVersion, object.kind);
      expect({ file, error: validationError(() => new Model(object).validate()) }).toEqual({ file, error: undefined });
    }
  }, 30_000);

  it('the schema validation fails a manifest that breaks the schema (a named user, a string port)', async () => {
    const Model = await modelClass('apps/v1', 'Deployment');
    const broken = structuredClone(deployment);
    broken.spec.template.spec.securityContext.runAsUser = 'node';
    expect(validationError(() => new Model(broken).validate())).toMatch(/runAsUser must be integer/);
    const badPort = structuredClone(deployment) as unknown as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
    badPort.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(validationError(() => new Model(badPort).validate())).toMatch(/containerPort must be integer/);
  }, 30_000);

  it("patches, in the overlay, only resources that exist, at paths that exist", () => {
    const k = readYaml<Kustomization>(join(overlayDir, 'kustomization.yaml'));
    expect(k.patches?.length).toBeGreaterThan(0);
    const exists = (kind: string, name: string): K8sObject | undefined => overlay.find((m) => m.object.kind === kind && m.object.metadata.name === name)?.object;
    for (const patch of k.patches ?? []) {
      if (patch.path !== undefined) {
        const target = readYaml<K8sObject>(join(overlayDir, patch.path));
        expect({ patch: patch.path, found: exists(target.kind, target.metadata.name) !== undefined }).toEqual({ patch: patch.path, found: true });
        if (target.kind === 'Deployment') {
          const names = (target as Deployment).spec.template.spec.containers.map((c) => c.name);
          expect(names.every((n) => pod.containers.some((c) => c.name === n))).toBe(true);
        }
      } else {
        expect(patch.target).toBeDefined();
        const target = exists(patch.target?.kind ?? '', patch.target?.name ?? '');
        expect({ target: patch.target, found: target !== undefined }).toEqual({ target: patch.target, found: true });
        for (const op of parse(patch.patch ?? '') as { op: string; path: string }[]) {
          const parent = op.path.split('/').slice(1).reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], target);
          expect({ path: op.path, exists: parent !== undefined }).toEqual({ path: op.path, exists: true });
        }
      }
    }
    for (const image of k.images ?? []) expect(pod.containers.map((c) => c.image.split(':')[0])).toContain(image.name);
  });
});

describe('deploy/k8s Deployment against the service', () => {
  it('probes the service own routes on its port: startup and liveness on /health/live, readiness on /health/ready', () => {
    const http = container.ports.find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(Number(configMap.data.PORT));
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) expect(probe.httpGet.port).toBe('http');
    expect(container.startupProbe.httpGet.path).toBe('/health/live');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
  });

  it('uses only variables the service documents (.env.example) and its schema reads, and its settings pass the schema', () => {
    const names = [
      ...Object.keys(configMap.data),
      ...container.env.map((e) => e.name),
      ...container.env.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.key] : [])),
      ...overlay.filter((m) => m.object.kind === 'ConfigMap').flatMap((m) => Object.keys((m.object as { data?: object }).data ?? {})),
      ...Object.keys(readYaml<{ data: object }>(join(overlayDir, 'configmap-patch.yaml')).data),
    ];
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
    expect(names.filter((n) => !ENV_KEYS.includes(n))).toEqual([]);
    // The ConfigMap, with the overlay's patch and the secrets' stand-ins, is a configuration the service accepts.
    const overlayData = readYaml<{ data: Record<string, string> }>(join(overlayDir, 'configmap-patch.yaml')).data;
    expect(() => loadConfig({ ...configMap.data, ...overlayData, STACKONE_API_KEY: TEST_STACKONE_KEY, AUTH_JWT_SECRET: TEST_JWT_SECRET })).not.toThrow();
  });

  it('takes the secrets from a Secret (never a literal value), the required ones not optional', () => {
    const secretNames = ['STACKONE_API_KEY', 'AUTH_JWT_SECRET', 'STACKONE_WEBHOOK_SECRET', 'REDIS_URL', 'EVENT_SUBSCRIBERS'];
    for (const name of secretNames) {
      const v = container.env.find((e) => e.name === name);
      expect({ name, ref: v?.valueFrom?.secretKeyRef?.key, literal: v?.value }).toEqual({ name, ref: name, literal: undefined });
      expect(Object.keys(configMap.data)).not.toContain(name);
    }
    for (const name of ['STACKONE_API_KEY', 'AUTH_JWT_SECRET']) expect(container.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.optional).toBeUndefined();
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
  });

  it('runs restricted: non-root with a numeric user, read-only root with a writable /tmp, no escalation, no capabilities, RuntimeDefault seccomp', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect((container.securityContext.capabilities as { add?: unknown }).add).toBeUndefined();
    const tmp = container.volumeMounts.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it('gives the pod time to drain: preStop pause, then SHUTDOWN_GRACE_MS, then requests bounded by STACKONE_TIMEOUT_MS, within the grace period', () => {
    const pause = container.lifecycle.preStop.sleep?.seconds ?? Number(container.lifecycle.preStop.exec?.command.join(' ').match(/^sleep (\d+)$/)?.[1]);
    expect(pause).toBeGreaterThan(0);
    const drain = pause + Number(configMap.data.SHUTDOWN_GRACE_MS) / 1000 + Number(configMap.data.STACKONE_TIMEOUT_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drain);
    expect(pod.terminationGracePeriodSeconds).toBeLessThanOrEqual(drain + 10);
  });

  it('sets resource requests and a memory limit', () => {
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
  });

  it('wires Service, PodDisruptionBudget, HorizontalPodAutoscaler, NetworkPolicy and ServiceMonitor to the pods and their port', () => {
    expect(selects(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = find<K8sObject & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string | number }[] } }>(base, 'Service');
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(['http']);
    const pdb = find<K8sObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>(base, 'PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    const hpa = find<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number } }>(base, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.minAvailable);
    const monitor = find<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }>(overlay, 'ServiceMonitor');
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: service.spec.ports[0].name, path: '/metrics' })]);
    // The job label Prometheus gives the scrape is the Service's name: the one deploy/prometheus selects.
    expect(readFileSync(join(repoRoot, 'deploy', 'prometheus', 'service.rules.yml'), 'utf8')).toContain(`job="${service.metadata.name}"`);
  });

  it('lets in the API port only, and out DNS (UDP and TCP 53), Redis (6379) and HTTPS (443: StackOne, subscribers)', () => {
    type Rule = { ports: { port: number; protocol: string }[] };
    const policy = find<K8sObject & { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: Rule[]; egress: Rule[] } }>(base, 'NetworkPolicy');
    expect(selects(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    const ports = (rules: Rule[]): string[] => [...new Set(rules.flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`)))].sort();
    expect(ports(policy.spec.ingress)).toEqual([`TCP/${container.ports[0].containerPort}`]);
    expect(ports(policy.spec.egress)).toEqual(['TCP/443', 'TCP/53', 'TCP/6379', 'UDP/53']);
  });
});

describe('deploy/k8s probes against the running service', () => {
  let svc: ServiceProcess | undefined;
  afterAll(async () => {
    await svc?.stop();
  });

  it("answers 200 on the Deployment's probe paths, started with the ConfigMap's settings", async () => {
    // HOST and PORT come from the launcher (a free port on 127.0.0.1) and StackOne is never reached
    // from here (a closed loopback port); the rest is the ConfigMap's.
    const settings = Object.fromEntries(Object.entries(configMap.data).filter(([name]) => name !== 'HOST' && name !== 'PORT'));
    svc = await startServiceProcess({
      ...settings,
      STACKONE_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '0',
      STACKONE_API_KEY: TEST_STACKONE_KEY,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
    });
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      const res = await fetch(`${svc.url}${probe.httpGet.path}`);
      expect({ path: probe.httpGet.path, status: res.status }).toEqual({ path: probe.httpGet.path, status: 200 });
    }
    expect((await fetch(`${svc.url}/health/nonexistent`)).status).toBe(404);
  }, 30_000);
});

function validationError(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
