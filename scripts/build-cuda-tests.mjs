#!/usr/bin/env node
// Builds the CUDA test binary (test/cuda-emulated/*.cc) one of two ways:
//   --emulated   g++ only: native/cuda's .cu files compiled as C++ against the SIMT emulator
//                (native/cuda/emulator/); what CI runs. --sanitize adds ASan + UBSan to the
//                emulator, the GPU code and the tests (the CPU reference is built plainly: it is not
//                what is under test, and one set of its objects serves every configuration);
//                --mutation NAME builds one of the deliberate bugs of native/cuda/portable.cuh.
//   --gpu        nvcc for the .cu files (real kernels, --arch, default sm_90), g++ for the rest;
//                what scripts/gpu-check.sh runs on a machine with a GPU.
// Objects are cached in --out by their flags and dependencies (g++/nvcc -MMD), so a second build,
// or a mutation build next to the plain one, recompiles only what changed. No dependencies beyond
// Node and the compilers. Prints the binary's path.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The CPU core the tests compare against: the reference, built as the addon builds it. */
const REFERENCE = [
  'native/core/thread_pool.cc', 'native/core/cpu_isa.cc', 'native/core/sgemm.cc', 'native/core/gemm_kernel_sse2.cc', 'native/core/distances.cc',
  'native/core/h0.cc', 'native/core/rips/rips.cc', 'native/core/rips/dimension0.cc',
  'native/core/rips/distance_matrix.cc', 'native/core/rips/memory.cc',
];
const ISA_FLAGS = {
  'native/core/gemm_kernel_avx2.cc': ['-mavx2', '-mfma'],
  'native/core/gemm_kernel_avx512.cc': ['-mavx512f', '-mavx512vl', '-mavx512bw', '-mavx512dq', '-mavx2', '-mfma'],
};
const EMULATOR = ['native/cuda/emulator/simt.cc', 'native/cuda/emulator/runtime.cc'];
/** Tests of the emulator itself: meaningful only under it. */
const EMULATOR_ONLY_TESTS = new Set(['test/cuda-emulated/emulator_test.cc']);
/** Where the mutation sites are (kernels/distances.cuh): the one source a mutation build recompiles. */
const MUTATED = 'native/cuda/distances.cu';

export function parseArgs(argv) {
  const o = { mode: '', sanitize: false, mutation: '', arch: 'sm_90', out: '', jobs: Math.max(1, os.availableParallelism?.() ?? os.cpus().length) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--emulated' || a === '--gpu') o.mode = a.slice(2);
    else if (a === '--sanitize') o.sanitize = true;
    else if (a === '--mutation') o.mutation = argv[++i];
    else if (a === '--arch') o.arch = argv[++i];
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--jobs') o.jobs = Number(argv[++i]);
    else throw new Error(`build-cuda-tests: unknown argument ${a}`);
  }
  if (!o.mode) throw new Error('build-cuda-tests: --emulated or --gpu');
  if (o.mode === 'gpu' && (o.sanitize || o.mutation)) throw new Error('build-cuda-tests: --sanitize and --mutation are for --emulated');
  if (!['', 'drop_sync', 'lane_exit', 'no_bound'].includes(o.mutation)) throw new Error(`build-cuda-tests: unknown mutation ${o.mutation}`);
  o.out ||= path.join(root, 'build', `cuda-tests-${o.mode}`);
  return o;
}

function sources(mode) {
  const cuda = JSON.parse(readFileSync(path.join(root, 'native/sources.json'), 'utf8')).cuda;
  const tests = readdirSync(path.join(root, 'test/cuda-emulated'))
    .filter((f) => /\.(cc|cu)$/.test(f))
    .map((f) => `test/cuda-emulated/${f}`)
    .filter((f) => mode === 'emulated' || !EMULATOR_ONLY_TESTS.has(f));
  // Device code (.cu: the GPU half and the kernel benches) goes to nvcc on a GPU build.
  return {
    cuda: [...cuda, ...tests.filter((f) => f.endsWith('.cu'))],
    reference: [...REFERENCE, ...Object.keys(ISA_FLAGS)],
    tested: [...(mode === 'emulated' ? EMULATOR : []), ...tests.filter((f) => f.endsWith('.cc'))],
  };
}

/** A cached object is current when its dependency file lists nothing newer than it. */
function current(object, depfile) {
  if (!existsSync(object) || !existsSync(depfile)) return false;
  const built = statSync(object).mtimeMs;
  const deps = readFileSync(depfile, 'utf8').replace(/\\\n/g, ' ').split(':').slice(1).join(':').trim().split(/\s+/);
  return deps.every((d) => d && existsSync(d) && statSync(d).mtimeMs <= built);
}

async function pool(tasks, jobs) {
  const results = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, async () => {
    while (next < tasks.length) {
      const k = next++;
      results[k] = await tasks[k]();
    }
  }));
  return results;
}

export async function build(o) {
  mkdirSync(o.out, { recursive: true });
  const { cuda, reference, tested } = sources(o.mode);
  const base = ['-std=c++17', '-I', root, '-fno-math-errno', '-Wall', '-Wextra', '-Wno-unused-parameter', '-pthread'];
  const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'];
  // -g1: line tables, so that the kernel line of an ASan report can be named.
  const optimise = o.sanitize ? ['-O1', '-g1', '-fno-omit-frame-pointer', ...sanitize] : ['-O2'];
  const emulated = o.mode === 'emulated' ? ['-DTOPOFR_EMULATED'] : [];
  const mutation = o.mutation ? [`-DTOPOFR_MUTATION=TOPOFR_MUTATION_${o.mutation}`] : [];
  const jobs = [];
  const compile = (file, compiler, flags) => {
    const hash = createHash('sha1').update(`${compiler} ${flags.join(' ')} ${file}`).digest('hex').slice(0, 12);
    const object = path.join(o.out, `${path.basename(file).replace(/\.\w+$/, '')}-${hash}.o`);
    const depfile = `${object}.d`;
    jobs.push(async () => {
      if (!current(object, depfile))
        await run(compiler, [...flags, '-MMD', '-MF', depfile, '-c', path.join(root, file), '-o', object], { maxBuffer: 1 << 26 }).catch((e) => {
          throw new Error(`build-cuda-tests: ${file} failed to compile:\n${e.stderr || e.message}`);
        });
      return object;
    });
  };
  for (const f of reference) compile(f, 'g++', [...base, '-O2', ...(ISA_FLAGS[f] ?? [])]);
  for (const f of tested) compile(f, 'g++', [...base, ...optimise, ...emulated]);
  for (const f of cuda) {
    if (o.mode === 'emulated') compile(f, 'g++', ['-x', 'c++', ...base, ...optimise, ...emulated, ...(f === MUTATED ? mutation : [])]);
    else compile(f, 'nvcc', ['-std=c++17', '-I', root, '-O3', `-arch=${o.arch}`, '-Xptxas=-warn-spills,-Werror', '-Xcompiler=-fno-math-errno']);
  }
  const objects = await pool(jobs, o.jobs);
  const binary = path.join(o.out, ['cuda_tests', ...(o.sanitize ? ['sanitized'] : []), ...(o.mutation ? [o.mutation] : [])].join('-'));
  if (o.mode === 'emulated') await run('g++', [...(o.sanitize ? sanitize : []), '-pthread', ...objects, '-o', binary]);
  else await run('nvcc', [`-arch=${o.arch}`, ...objects, '-o', binary, '-lpthread']);
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build(parseArgs(process.argv.slice(2)))
    .then((binary) => console.log(binary))
    .catch((e) => {
      console.error(e.message);
      process.exit(1);
    });
}
