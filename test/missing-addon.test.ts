// A user on a platform without a matching prebuild, whose npm skipped the source build (npm 11+
// asks before running a dependency's install script; --ignore-scripts): the first call says how to
// build the addon instead of failing obscurely. The package as installed without any binary:
// dist/ and package.json, no build/, no prebuilds/.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const pkg = mkdtempSync(join(tmpdir(), 'topofr-nobinary-'));
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

describe('no native addon for this platform', () => {
  it('the first call throws ERR_TOPOFR_NO_NATIVE naming the ways to build one', () => {
    cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const module = new URL(`file://${join(pkg, 'dist', 'capabilities.js')}`).href;
    const script = `import(${JSON.stringify(module)}).then((m) => { try { m.capabilities(); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); } });`;
    const env = { ...process.env };
    delete env.TOPOFR_ADDON;
    const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { code, message } = JSON.parse(r.stdout) as { code: string; message: string };
    expect(code).toBe('ERR_TOPOFR_NO_NATIVE');
    expect(message).toMatch(/No native build was found/);  // node-gyp-build's reason
    expect(message).toContain('npm install-scripts approve topofr && npm rebuild topofr');
    expect(message).toContain('npx node-gyp rebuild');
    expect(message).toContain(pkg);
  });
});
