/**
 * Bundle and .vsix sizes, built in a temporary copy of the project so that the working tree's
 * dist/ (the development build the tests load) is never touched.
 *
 * The copy has every project file except build output and caches, and a symlink to the real
 * node_modules; `node esbuild.mjs --production` and `vsce package` run in it exactly as they do
 * in the project.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { bytes, kb, Measurement } from './report';

const BUNDLE_TARGET_BYTES = 150 * 1024;
const VSIX_TARGET_BYTES = 250 * 1024;
const WEBVIEW_TARGET_BYTES = 60 * 1024;

/** Not copied: output, caches, VCS, earlier packages. */
const SKIP = new Set(['node_modules', 'out', 'dist', '.git', '.vscode-test', 'test-results']);

export interface BuildResult extends Measurement {
  /** The packaged extension (inside `workDir`). */
  readonly vsix: string;
  /** The project copy: its dist/extension.js is the production bundle the .vsix holds. */
  readonly projectCopy: string;
  readonly workDir: string;
}

export async function measureBuild(repoRoot: string): Promise<BuildResult> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24-bench-build-'));
  const copy = path.join(workDir, 'project');
  fs.cpSync(repoRoot, copy, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(repoRoot, source);
      const top = relative.split(path.sep)[0];
      return !SKIP.has(top) && !(relative === path.basename(relative) && relative.endsWith('.vsix'));
    },
  });
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');

  await run(process.execPath, ['esbuild.mjs', '--production'], copy);
  const bundle = fs.readFileSync(path.join(copy, 'dist', 'extension.js'));
  const gzipped = zlib.gzipSync(bundle, { level: 9 }).length;
  // What a task tab loads: its script (the production build's second entry) and its styles.
  const webview = Buffer.concat([fs.readFileSync(path.join(copy, 'dist', 'taskTab.js')), fs.readFileSync(path.join(copy, 'media', 'taskTab.css'))]);
  const webviewGzipped = zlib.gzipSync(webview, { level: 9 }).length;

  const vsix = path.join(workDir, 'bench.vsix');
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const packaging = await run(npx, ['vsce', 'package', '--no-dependencies', '--out', vsix], copy);
  const vsixBytes = fs.statSync(vsix).size;
  const files = /\((\d+) files?/.exec(packaging)?.[1];
  const largest = zipEntries(fs.readFileSync(vsix))
    .sort((a, b) => b.compressed - a.compressed)
    .slice(0, 4)
    .map((e) => `${e.name.replace(/^extension\//, '')} ${kb(e.compressed)}`);

  return {
    workDir,
    vsix,
    projectCopy: copy,
    notes: [`Largest entries in the .vsix (compressed): ${largest.join(', ')}.`],
    rows: [
      {
        figure: 'bundle size',
        measured: `${bytes(bundle.length)} (${kb(bundle.length)}), gzipped ${bytes(gzipped)} (${kb(gzipped)})`,
        target: '≤ 150 KB minified',
        how: '`node esbuild.mjs --production` in a temporary copy of the project; size of dist/extension.js, and gzip -9 of it',
        met: bundle.length <= BUNDLE_TARGET_BYTES,
      },
      {
        figure: '`.vsix` size',
        measured: `${bytes(vsixBytes)} (${kb(vsixBytes)})${files ? `, ${files} files` : ''}`,
        target: '≤ 250 KB',
        how: '`npx vsce package --no-dependencies --out <tmp>` in the same copy (runs the production build as prepublish)',
        met: vsixBytes <= VSIX_TARGET_BYTES,
      },
      {
        figure: 'task tab script + styles',
        measured: `${bytes(webview.length)} (${kb(webview.length)}), gzipped ${bytes(webviewGzipped)} (${kb(webviewGzipped)})`,
        target: '≤ 60 KB',
        how: 'dist/taskTab.js of the same production build plus media/taskTab.css, and gzip -9 of both',
        met: webview.length <= WEBVIEW_TARGET_BYTES,
      },
    ],
  };
}

/** Name and compressed size of each entry, from a ZIP's central directory. */
function zipEntries(zip: Buffer): Array<{ name: string; compressed: number }> {
  const END = 0x06054b50;
  const ENTRY = 0x02014b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END) end--;
  if (end < 0) return [];
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: Array<{ name: string; compressed: number }> = [];
  for (let i = 0; i < count && zip.readUInt32LE(at) === ENTRY; i++) {
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({ name: zip.toString('utf8', at + 46, at + 46 + nameLength), compressed });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Runs a command to completion; resolves with its output, rejects with the output's tail. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${code}): ${output.trim().split('\n').slice(-5).join(' / ')}`));
    });
  });
}
