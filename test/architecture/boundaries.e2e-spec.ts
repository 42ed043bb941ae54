import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = ['apps', 'libs'].flatMap((d) => sourceFiles(join(ROOT, d))).map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));
const imports = (text: string): string[] => [...text.matchAll(/(?:from|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
const production = files.filter((f) => !f.path.endsWith('.spec.ts') && !f.path.startsWith('libs/testing/'));

describe('architecture rules (STYLE.md)', () => {
  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('lets only libs/hsm import graphene-pk11 or pkcs11js', () => {
    const offenders = files.filter((f) => !f.path.startsWith('libs/hsm/') && imports(f.text).some((i) => i === 'graphene-pk11' || i === 'pkcs11js'));
    expect(offenders.map((f) => f.path)).toEqual([]);
  });

  it('crosses library boundaries only through @keybridge/<lib> aliases, and libs never import apps', () => {
    const offenders = files.filter((f) => {
      const [top, name] = f.path.split('/');
      return imports(f.text).some((i) => {
        if (!i.startsWith('.')) return false;
        const target = relative(ROOT, join(ROOT, f.path, '..', i)).split('/');
        if (target[0] === 'migrations') return top !== 'apps';
        return target[0] !== top || target[1] !== name;
      });
    });
    expect(offenders.map((f) => f.path)).toEqual([]);
  });

  it('keeps a library from importing its own alias (cycles through index.ts)', () => {
    const offenders = files.filter((f) => f.path.startsWith('libs/') && imports(f.text).includes(`@keybridge/${f.path.split('/')[1]}`));
    expect(offenders.map((f) => f.path)).toEqual([]);
  });

  it('has no any, as any or @ts-ignore in production code', () => {
    const offenders = production.filter((f) => /:\s*any\b|as any\b|@ts-ignore|@ts-expect-error/.test(f.text));
    expect(offenders.map((f) => f.path)).toEqual([]);
  });

  it('throws no HttpException inside libs', () => {
    const offenders = production.filter((f) => f.path.startsWith('libs/') && /HttpException|BadRequestException/.test(f.text));
    expect(offenders.map((f) => f.path)).toEqual([]);
  });
});
