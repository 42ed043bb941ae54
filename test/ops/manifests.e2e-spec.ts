/**
 * Deployment files (ops/k8s, ops/systemd, ops/container), checked offline — no cluster, no container engine, no
 * systemd instance needed.
 *
 * Kubernetes objects are validated against the Kubernetes 1.30 API types of `kubernetes-types` (generated from the
 * upstream OpenAPI spec) with the TypeScript checker: each YAML document becomes `const doc: <Kind> = <its JSON>`,
 * so unknown fields (excess-property checks, nested too), wrong types and missing required fields are compile
 * errors. Negative cases prove the checker rejects broken objects. On top: references between the objects, the
 * probes, the pools file and the environment (through the application's own validators), and the systemd units.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { poolsFileSchema } from '@keybridge/hsm';
import { AppConfig } from '@keybridge/platform';

const ROOT = join(__dirname, '..', '..');
const K8S = join(ROOT, 'ops', 'k8s');
const SYSTEMD = join(ROOT, 'ops', 'systemd');

/** apiVersion → module of kubernetes-types holding its kinds (Kubernetes 1.30). */
const TYPE_MODULES: Record<string, string> = {
  v1: 'core/v1',
  'apps/v1': 'apps/v1',
  'batch/v1': 'batch/v1',
  'policy/v1': 'policy/v1',
  'networking.k8s.io/v1': 'networking/v1',
};

type Obj = Record<string, unknown>;
interface Manifest {
  file: string;
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  value: Obj;
}

// ------------------------------------------------------------------------------------------------ YAML loading
function loadYaml(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true });
  return docs
    .map((doc, i) => {
      if (doc.errors.length) throw new Error(`${file} document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
      // YAML 1.2 core schema: "0.1.0" stays a string, yes/no stay strings (as the API server parses them).
      return doc.toJS({ maxAliasCount: 0 }) as Obj | null;
    })
    .filter((v): v is Obj => v !== null);
}

const manifestFiles = readdirSync(K8S)
  .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
  .sort();
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  loadYaml(join(K8S, file)).map((value, index) => ({
    file,
    index,
    apiVersion: String(value.apiVersion),
    kind: String(value.kind),
    name: String((value.metadata as Obj | undefined)?.name),
    value,
  })),
);
const kustomization = loadYaml(join(K8S, 'kustomization.yaml'))[0];

function find(kind: string, name: string): Obj {
  const m = manifests.find((x) => x.kind === kind && x.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in ops/k8s`);
  return m.value;
}
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v === null || v === undefined ? undefined : (v as Record<string | number, unknown>)[k]), o);
const podSpec = (workload: Obj): Obj => get(workload, 'spec', 'template', 'spec') as Obj;
const containers = (workload: Obj): Obj[] => get(podSpec(workload), 'containers') as Obj[];

// ------------------------------------------------------------------------------------------ schema validation
interface Candidate {
  id: string;
  apiVersion: string;
  kind: string;
  value: unknown;
}

/** Type-checks every candidate against its kubernetes-types interface; returns the errors per candidate id. */
function validateAgainstKubernetesTypes(candidates: Candidate[]): Map<string, string[]> {
  const errors = new Map<string, string[]>(candidates.map((c) => [c.id, []]));
  const virtualDir = join(ROOT, 'test', 'ops', '__k8s_virtual__');
  const files = new Map<string, { id: string; text: string }>();
  candidates.forEach((c, i) => {
    const module = TYPE_MODULES[c.apiVersion];
    if (!module) {
      errors.get(c.id)!.push(`no schema for apiVersion ${c.apiVersion} (kind ${c.kind})`);
      return;
    }
    if (!/^[A-Z][A-Za-z0-9]*$/.test(c.kind)) {
      errors.get(c.id)!.push(`not a kind: ${c.kind}`);
      return;
    }
    const text = `import type { ${c.kind} as Schema } from 'kubernetes-types/${module}';\nexport const doc: Schema = ${JSON.stringify(c.value, null, 2)};\n`;
    files.set(join(virtualDir, `doc${i}.ts`), { id: c.id, text });
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => files.get(f)?.text ?? readFile(f);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.getSourceFile = (f, lang, onError, create) => {
    const virtual = files.get(f);
    return virtual ? ts.createSourceFile(f, virtual.text, lang) : getSourceFile(f, lang, onError, create);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const global = program.getGlobalDiagnostics().map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (global.length) throw new Error(`TypeScript: ${global.join('; ')}`);
  for (const [path, { id, text }] of files) {
    const source = program.getSourceFile(path);
    if (!source) throw new Error(`${path} was not compiled`);
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
      errors.get(id)!.push(`${ts.flattenDiagnosticMessageText(d.messageText, ' ')} (at: ${text.split('\n')[line]?.trim()})`);
    }
  }
  return errors;
}

/** Broken objects that must be rejected: proves the validator can fail. */
function brokenDeployment(): Obj {
  return structuredClone(find('Deployment', 'keybridge-gateway'));
}
const negatives: Record<string, { candidate: () => Candidate; expect: RegExp }> = {
  'an unknown field deep inside the pod template (readinesProbe)': {
    candidate: () => {
      const d = brokenDeployment();
      const c = containers(d)[0];
      c.readinesProbe = c.readinessProbe;
      delete c.readinessProbe;
      return { id: '', apiVersion: 'apps/v1', kind: 'Deployment', value: d };
    },
    expect: /readinesProbe/,
  },
  'a wrong type (replicas as a string)': {
    candidate: () => {
      const d = brokenDeployment();
      (d.spec as Obj).replicas = '2';
      return { id: '', apiVersion: 'apps/v1', kind: 'Deployment', value: d };
    },
    expect: /string.*not assignable.*number/s,
  },
  'a missing required field (spec.selector)': {
    candidate: () => {
      const d = brokenDeployment();
      delete (d.spec as Obj).selector;
      return { id: '', apiVersion: 'apps/v1', kind: 'Deployment', value: d };
    },
    expect: /selector/,
  },
  'a container without a name': {
    candidate: () => {
      const d = brokenDeployment();
      delete containers(d)[0].name;
      return { id: '', apiVersion: 'apps/v1', kind: 'Deployment', value: d };
    },
    expect: /name/,
  },
  'an env value that is not a string (ConfigMap data: PORT: 8787)': {
    candidate: () => {
      const c = structuredClone(find('ConfigMap', 'keybridge-config'));
      (c.data as Obj).PORT = 8787;
      return { id: '', apiVersion: 'v1', kind: 'ConfigMap', value: c };
    },
    expect: /number.*not assignable.*string/s,
  },
  'a kind in the wrong apiVersion (Deployment as v1)': {
    candidate: () => ({ id: '', apiVersion: 'v1', kind: 'Deployment', value: { ...brokenDeployment(), apiVersion: 'v1' } }),
    expect: /Deployment/,
  },
  'an apiVersion without a schema': {
    candidate: () => ({ id: '', apiVersion: 'apps/v1beta1', kind: 'Deployment', value: { ...brokenDeployment(), apiVersion: 'apps/v1beta1' } }),
    expect: /no schema/,
  },
};

let schemaErrors: Map<string, string[]>;
beforeAll(() => {
  const candidates: Candidate[] = [
    ...manifests.map((m) => ({ id: `${m.file}#${m.index} ${m.kind}/${m.name}`, apiVersion: m.apiVersion, kind: m.kind, value: m.value })),
    ...Object.entries(negatives).map(([title, n]) => ({ ...n.candidate(), id: `negative: ${title}` })),
  ];
  schemaErrors = validateAgainstKubernetesTypes(candidates);
});

describe('ops/k8s: every document against the Kubernetes 1.30 API schema (kubernetes-types)', () => {
  it('finds the manifests', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Deployment', 'Job', 'NetworkPolicy', 'NetworkPolicy', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Secret', 'Secret', 'Service', 'ServiceAccount'].sort(),
    );
  });

  it.each(manifests.map((m) => [`${m.file}#${m.index} ${m.kind}/${m.name}`]))('%s is valid', (id) => {
    expect(schemaErrors.get(id)).toEqual([]);
  });

  it.each(Object.entries(negatives).map(([title, n]) => [title, n.expect] as const))('rejects %s', (title, pattern) => {
    const errors = schemaErrors.get(`negative: ${title}`)!;
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(pattern);
  });

  it('has names that are DNS-1123 labels, integer numbers only, no namespace (namespace-free manifests)', () => {
    const integersOnly = (v: unknown, path: string): string[] =>
      typeof v === 'number'
        ? Number.isInteger(v) ? [] : [path]
        : v && typeof v === 'object'
          ? Object.entries(v).flatMap(([k, c]) => integersOnly(c, `${path}/${k}`))
          : [];
    for (const m of manifests) {
      expect(m.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect(get(m.value, 'metadata', 'namespace')).toBeUndefined();
      expect(integersOnly(m.value, `${m.file}#${m.index}`)).toEqual([]);
    }
  });
});

describe('ops/k8s: kustomization and references between the objects', () => {
  it('kustomization.yaml lists every manifest file exactly once, and nothing else', () => {
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    expect(kustomization.namespace).toBeUndefined();
    const resources = kustomization.resources as string[];
    expect(new Set(resources).size).toBe(resources.length);
    expect([...resources].sort()).toEqual(manifestFiles);
    const images = kustomization.images as { name: string; newTag?: string }[];
    const used = new Set(
      manifests
        .filter((m) => ['Deployment', 'Job'].includes(m.kind))
        .flatMap((m) => containers(m.value).map((c) => String(c.image).split(':')[0])),
    );
    expect([...used]).toEqual(images.map((i) => i.name));
  });

  it('the gateway: readiness on GET /health/ready and liveness on GET /health/live at the container port PORT', () => {
    const gateway = find('Deployment', 'keybridge-gateway');
    const [container] = containers(gateway);
    const ports = container.ports as { name: string; containerPort: number }[];
    const configPort = Number(get(find('ConfigMap', 'keybridge-config'), 'data', 'PORT'));
    expect(ports).toEqual([expect.objectContaining({ name: 'http', containerPort: configPort })]);
    const resolve = (p: unknown) => (typeof p === 'number' ? p : ports.find((x) => x.name === p)?.containerPort);
    for (const [probe, path] of [
      ['readinessProbe', '/health/ready'],
      ['livenessProbe', '/health/live'],
    ] as const) {
      const httpGet = get(container, probe, 'httpGet') as Obj;
      expect(httpGet.path).toBe(path);
      expect(resolve(httpGet.port)).toBe(configPort);
      expect(httpGet.scheme ?? 'HTTP').toBe('HTTP');
    }
    // The routes exist in the gateway.
    const controller = readFileSync(join(ROOT, 'apps/gateway/src/health/health.controller.ts'), 'utf8');
    expect(controller).toMatch(/@Controller\('health'\)/);
    expect(controller).toMatch(/@Get\('live'\)/);
    expect(controller).toMatch(/@Get\('ready'\)/);
    expect(Number(get(gateway, 'spec', 'replicas'))).toBeGreaterThanOrEqual(2);
    expect((get(podSpec(gateway), 'topologySpreadConstraints') as unknown[]).length).toBeGreaterThan(0);
    // The gateway listens on all interfaces inside the pod (its default is 127.0.0.1).
    expect(get(find('ConfigMap', 'keybridge-config'), 'data', 'HOST')).toBe('0.0.0.0');
  });

  it('the worker has no HTTP probes (only the Prometheus exporter port) and 2 replicas', () => {
    const worker = find('Deployment', 'keybridge-worker');
    const [container] = containers(worker);
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: Number(get(find('ConfigMap', 'keybridge-config'), 'data', 'OTEL_EXPORTER_PROMETHEUS_PORT')) }]);
    expect(container.readinessProbe).toBeUndefined();
    expect(container.livenessProbe).toBeUndefined();
    expect(get(worker, 'spec', 'replicas')).toBe(2);
  });

  it('selectors match the pod labels (Deployments, Service, PodDisruptionBudgets)', () => {
    const matches = (selector: Obj, labels: Obj) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    for (const name of ['keybridge-gateway', 'keybridge-worker']) {
      const d = find('Deployment', name);
      const labels = get(d, 'spec', 'template', 'metadata', 'labels') as Obj;
      expect(matches(get(d, 'spec', 'selector', 'matchLabels') as Obj, labels)).toBe(true);
      expect(matches(get(find('PodDisruptionBudget', name), 'spec', 'selector', 'matchLabels') as Obj, labels)).toBe(true);
      const others = manifests.filter((m) => m.kind === 'Deployment' && m.name !== name);
      for (const o of others) expect(matches(get(d, 'spec', 'selector', 'matchLabels') as Obj, get(o.value, 'spec', 'template', 'metadata', 'labels') as Obj)).toBe(false);
    }
    const service = find('Service', 'keybridge-gateway');
    const gatewayLabels = get(find('Deployment', 'keybridge-gateway'), 'spec', 'template', 'metadata', 'labels') as Obj;
    expect(matches(get(service, 'spec', 'selector') as Obj, gatewayLabels)).toBe(true);
    const targetPort = get(service, 'spec', 'ports', 0, 'targetPort');
    expect((containers(find('Deployment', 'keybridge-gateway'))[0].ports as Obj[]).some((p) => p.name === targetPort)).toBe(true);
  });

  it('every ConfigMap, Secret, key and ServiceAccount a pod refers to exists; pods run non-root on a read-only root', () => {
    const workloads = manifests.filter((m) => ['Deployment', 'Job'].includes(m.kind));
    expect(workloads.length).toBe(3);
    for (const w of workloads) {
      const spec = podSpec(w.value);
      find('ServiceAccount', String(spec.serviceAccountName));
      expect(get(spec, 'securityContext', 'runAsNonRoot')).toBe(true);
      for (const c of containers(w.value)) {
        expect(get(c, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
        expect(get(c, 'securityContext', 'allowPrivilegeEscalation')).toBe(false);
        expect(get(c, 'securityContext', 'capabilities', 'drop')).toEqual(['ALL']);
        expect(get(c, 'resources', 'requests')).toBeDefined();
        expect(get(c, 'resources', 'limits', 'memory')).toBeDefined();
        for (const from of (c.envFrom as Obj[] | undefined) ?? []) {
          if (from.configMapRef) find('ConfigMap', String(get(from, 'configMapRef', 'name')));
          if (from.secretRef) find('Secret', String(get(from, 'secretRef', 'name')));
        }
        for (const e of (c.env as Obj[] | undefined) ?? []) {
          const ref = get(e, 'valueFrom', 'secretKeyRef') as Obj | undefined;
          if (ref) expect(Object.keys(get(find('Secret', String(ref.name)), 'stringData') as Obj)).toContain(ref.key);
        }
        const mounts = (c.volumeMounts as Obj[] | undefined) ?? [];
        const volumes = (spec.volumes as Obj[] | undefined) ?? [];
        for (const m of mounts) expect(volumes.map((v) => v.name)).toContain(m.name);
      }
      for (const v of (spec.volumes as Obj[] | undefined) ?? []) {
        if (!v.configMap) continue;
        const data = get(find('ConfigMap', String(get(v, 'configMap', 'name'))), 'data') as Obj;
        for (const item of (get(v, 'configMap', 'items') as Obj[]) ?? []) expect(Object.keys(data)).toContain(item.key);
      }
    }
  });

  it('the PKCS#11 module is mounted read-only where the pools file expects it, in the gateway and the worker', () => {
    const { pools } = poolsFileSchema.parse(JSON.parse(String(get(find('ConfigMap', 'keybridge-config'), 'data', 'pools.json'))));
    for (const name of ['keybridge-gateway', 'keybridge-worker']) {
      const d = find('Deployment', name);
      const [c] = containers(d);
      const hsm = (c.volumeMounts as Obj[]).find((m) => m.name === 'hsm-client') as Obj;
      expect(hsm.readOnly).toBe(true);
      for (const p of pools) expect(posix.relative(String(hsm.mountPath), p.module).startsWith('..')).toBe(false);
      const pools_ = (c.volumeMounts as Obj[]).find((m) => m.name === 'config') as Obj;
      const item = get((podSpec(d).volumes as Obj[]).find((v) => v.name === 'config'), 'configMap', 'items', 0, 'path');
      expect(posix.join(String(pools_.mountPath), String(item))).toBe(get(find('ConfigMap', 'keybridge-config'), 'data', 'KEYBRIDGE_POOLS_FILE'));
    }
  });

  it('ConfigMap + Secret pass the application own validators (environment, pools file, PIN variables)', () => {
    const data = get(find('ConfigMap', 'keybridge-config'), 'data') as Record<string, string>;
    const secret = get(find('Secret', 'keybridge-secrets'), 'stringData') as Record<string, string>;
    const env = Object.fromEntries(Object.entries({ ...data, ...secret }).filter(([k]) => /^[A-Z][A-Z0-9_]*$/.test(k)));
    const config = AppConfig.fromEnv(env);
    expect(config.values.PORT).toBe(8787);
    const { pools } = poolsFileSchema.parse(JSON.parse(data['pools.json']));
    expect(pools.map((p) => p.name)).toContain(config.values.KEYBRIDGE_LEDGER_SIGNING_POOL);
    for (const p of pools) {
      for (const source of [p.pin, p.soPin]) {
        if (source && 'env' in source) expect(Object.keys(secret)).toContain(source.env);
      }
    }
    // The migration Job's environment passes the migrate command's own check.
    const job = find('Job', 'keybridge-migrate');
    const jobEnv = Object.fromEntries((containers(job)[0].env as Obj[]).map((e) => [String(e.name), e.value === undefined ? secretValue(e) : String(e.value)]));
    expect(AppConfig.fromEnv(jobEnv, ['DATABASE_URL']).migrationUrl).toMatch(/^postgres:\/\/keybridge_admin:/);
  });

  it('Secrets hold placeholders only (CHANGE-ME), and the application Secret has no migration credentials', () => {
    for (const m of manifests.filter((x) => x.kind === 'Secret')) {
      expect(m.value.data).toBeUndefined();
      for (const value of Object.values(m.value.stringData as Record<string, string>)) expect(value).toContain('CHANGE-ME');
    }
    expect(Object.keys(get(find('Secret', 'keybridge-secrets'), 'stringData') as Obj)).not.toContain('DATABASE_MIGRATION_URL');
  });

  it('the container command runs a script of the build layout (dist/<path>.js from <path>.ts)', () => {
    for (const m of manifests.filter((x) => ['Deployment', 'Job'].includes(x.kind))) {
      const [c] = containers(m.value);
      const argv = [...((c.command as string[]) ?? []), ...((c.args as string[]) ?? [])];
      expect(argv[0]).toBe('node');
      expect(c.workingDir).toBe('/opt/keybridge');
      expect(existsSync(sourceOf(argv[1]))).toBe(true);
    }
  });
});

function secretValue(e: Obj): string {
  const ref = get(e, 'valueFrom', 'secretKeyRef') as Obj;
  return String(get(find('Secret', String(ref.name)), 'stringData', String(ref.key)));
}

/** dist/apps/x/src/main.js → <repo>/apps/x/src/main.ts, after checking the build's outDir/rootDir give that layout. */
function sourceOf(script: string): string {
  const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { extends: string };
  const base = JSON.parse(readFileSync(join(ROOT, build.extends), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
  expect(posix.normalize(base.compilerOptions.outDir)).toBe('dist');
  expect(base.compilerOptions.rootDir).toBe('.');
  const rel = script.replace(/^\/opt\/keybridge\//, '');
  expect(rel).toMatch(/^dist\/.+\.js$/);
  return join(ROOT, rel.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
}

// ------------------------------------------------------------------------------------------------- systemd
type Unit = Map<string, [string, string][]>;
function parseUnit(file: string): Unit {
  return parseUnitText(readFileSync(file, 'utf8'), file);
}
function parseUnitText(text: string, file = '(in memory)'): Unit {
  const unit: Unit = new Map();
  let section = '';
  text
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) return;
      const header = /^\[([A-Za-z]+)\]$/.exec(line);
      if (header) {
        section = header[1];
        if (unit.has(section)) throw new Error(`${file}:${i + 1}: section [${section}] twice`);
        unit.set(section, []);
        return;
      }
      const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
      if (!kv || !section) throw new Error(`${file}:${i + 1}: not a key=value line in a section: ${line}`);
      unit.get(section)!.push([kv[1], kv[2]]);
    });
  return unit;
}
const values = (unit: Unit, section: string, key: string): string[] => (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
const one = (unit: Unit, section: string, key: string): string | undefined => values(unit, section, key).at(-1);

const UNITS = ['keybridge-gateway.service', 'keybridge-worker.service', 'keybridge-migrate.service'];

describe('ops/systemd: units', () => {
  it('the folder holds exactly the three units and the environment example', () => {
    expect(readdirSync(SYSTEMD).sort()).toEqual([...UNITS, 'keybridge.env.example'].sort());
  });

  it.each(UNITS)('%s has the required sections, a dedicated user, an EnvironmentFile and hardening', (name) => {
    const unit = parseUnit(join(SYSTEMD, name));
    expect([...unit.keys()].sort()).toEqual(['Install', 'Service', 'Unit']);
    expect(one(unit, 'Unit', 'Description')).toBeTruthy();
    expect(one(unit, 'Service', 'User')).toBe('keybridge');
    expect(one(unit, 'Service', 'Group')).toBe('keybridge');
    expect(one(unit, 'Service', 'WorkingDirectory')).toBe('/opt/keybridge');
    expect(values(unit, 'Service', 'EnvironmentFile')).toContain('/etc/keybridge/keybridge.env');
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['MemoryDenyWriteExecute', undefined], // V8 needs W+X pages
    ] as const) {
      expect([name, key, one(unit, 'Service', key)]).toEqual([name, key, value]);
    }
    expect(one(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    const exec = one(unit, 'Service', 'ExecStart')!.split(/\s+/);
    expect(exec[0]).toBe('/usr/bin/node');
    expect(exec[1]).toMatch(/^\/opt\/keybridge\/dist\//);
    expect(existsSync(sourceOf(exec[1]))).toBe(true);
  });

  it('gateway and worker restart on failure; the migration is a oneshot that the gateway requires and orders after', () => {
    const gateway = parseUnit(join(SYSTEMD, 'keybridge-gateway.service'));
    const worker = parseUnit(join(SYSTEMD, 'keybridge-worker.service'));
    const migrate = parseUnit(join(SYSTEMD, 'keybridge-migrate.service'));
    for (const u of [gateway, worker]) {
      expect(one(u, 'Service', 'Restart')).toBe('on-failure');
      expect(one(u, 'Service', 'Type')).toBe('simple');
      expect(values(u, 'Service', 'ReadWritePaths').join(' ')).toMatch(/softhsm/);
    }
    expect(one(gateway, 'Service', 'ExecStart')).toBe('/usr/bin/node /opt/keybridge/dist/apps/gateway/src/main.js');
    expect(one(worker, 'Service', 'ExecStart')).toBe('/usr/bin/node /opt/keybridge/dist/apps/worker/src/main.js');
    expect(one(migrate, 'Service', 'ExecStart')).toBe('/usr/bin/node /opt/keybridge/dist/apps/cli/src/main.js migrate');
    expect(one(migrate, 'Service', 'Type')).toBe('oneshot');
    expect(values(gateway, 'Unit', 'Requires').join(' ')).toContain('keybridge-migrate.service');
    expect(values(gateway, 'Unit', 'After').join(' ')).toContain('keybridge-migrate.service');
    // Only the migration reads the migration role's URL.
    expect(values(migrate, 'Service', 'EnvironmentFile')).toContain('/etc/keybridge/migrate.env');
    expect(values(gateway, 'Service', 'EnvironmentFile')).not.toContain('/etc/keybridge/migrate.env');
    expect(values(worker, 'Service', 'EnvironmentFile')).not.toContain('/etc/keybridge/migrate.env');
  });

  it('the structural parser rejects a broken unit (negative case)', () => {
    expect(() => parseUnitText('Description=outside a section\n')).toThrow(/not a key=value line/);
    expect(() => parseUnitText('[Service]\nExecStart /usr/bin/node\n')).toThrow(/not a key=value line/);
  });

  it('keybridge.env.example: known variables only, and it passes the application configuration check', () => {
    const env: Record<string, string> = {};
    for (const line of readFileSync(join(SYSTEMD, 'keybridge.env.example'), 'utf8').split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const kv = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(t);
      expect(kv).not.toBeNull();
      env[kv![1]] = kv![2];
    }
    const documented = readFileSync(join(ROOT, 'README.md'), 'utf8') + readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    for (const key of Object.keys(env)) expect([key, documented.includes(key)]).toEqual([key, true]);
    expect(AppConfig.fromEnv(env).values.HOST).toBe('0.0.0.0');
  });

  it('systemd-analyze verify reports nothing (where systemd-analyze exists)', () => {
    const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
    if (which.status !== 0) {
      console.warn('systemd-analyze is not installed: only the structural checks above ran');
      return;
    }
    const run = spawnSync('systemd-analyze', ['verify', ...UNITS.map((u) => join(SYSTEMD, u))], { encoding: 'utf8', timeout: 30_000 });
    if (run.error || /Failed to (connect|initialize)|System has not been booted/.test(run.stderr)) {
      console.warn(`systemd-analyze verify could not run here: ${run.error?.message ?? run.stderr.trim()}`);
      return;
    }
    expect(run.stderr.trim()).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('ops/container/Dockerfile', () => {
  it('runs the gateway from the build layout as a non-root user and installs production dependencies only', () => {
    const text = readFileSync(join(ROOT, 'ops/container/Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/^USER 10001:10001$/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(text)![1]) as string[];
    expect(cmd[0]).toBe('node');
    expect(existsSync(sourceOf(cmd[1]))).toBe(true);
    // The Kubernetes pods run as the image's user.
    for (const m of manifests.filter((x) => ['Deployment', 'Job'].includes(x.kind))) expect(get(podSpec(m.value), 'securityContext', 'runAsUser')).toBe(10001);
  });
});
