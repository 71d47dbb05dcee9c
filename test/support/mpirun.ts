// Launching test programs under mpirun, 2–3 ranks on this machine over TCP loopback (the
// transport two machines would use), each launch bounded by a timeout. Tests that need it are
// skipped where `mpirun` is not on the PATH (MPI absent), never counted as passed.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const MPIRUN = onPath('mpirun');
export const MPI_BINDING = join(ROOT, 'build', 'Release', 'mpi', 'topofr_mpi.node');

/** mpirun's flags: root allowed (CI containers), more ranks than cores, TCP over loopback only. */
export const LOOPBACK = ['--allow-run-as-root', '--oversubscribe', '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', 'lo',
  '--mca', 'pml', 'ob1', '--mca', 'oob_tcp_if_include', 'lo'];

export interface Launch {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

/** Fails clearly when MPI is here but the binding was not built (that is a broken build, not a skip). */
export function requireBinding(): void {
  if (!existsSync(MPI_BINDING) && !process.env.TOPOFR_MPI_ADDON)
    throw new Error(`mpirun is on the PATH but ${MPI_BINDING} was not built: rebuild with \`npm run build:native\` (CMake finds MPI)`);
}

function launch(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv): Launch {
  const t0 = performance.now();
  const r = spawnSync(command, args, {
    encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20, env: { ...process.env, ...env },
  });
  return {
    status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000,
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  };
}

/** `mpirun LOOPBACK …args` (args: -np N program …, MPMD parts separated by ':'), within timeoutMs. */
export function mpirun(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Launch {
  return launch(MPIRUN!, [...LOOPBACK, ...args], timeoutMs, env);
}

/** `node CLI …args` in one process (no mpirun), within timeoutMs. */
export function topofr(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Launch {
  return launch(process.execPath, [CLI, ...args], timeoutMs, env);
}
