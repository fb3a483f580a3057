// What a user reads when a command is given something wrong (README, "Exit codes"): a value an option
// does not take is a usage error (2) however deep it is checked; a file that is missing, a folder, or
// cut short is named with the reason in words, in one line, never as Node's or libvips' raw messages;
// the help hint names the command as it is typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { recordRunImages, writeRegistryRun } from '../pipeline/tiny-models.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_CSV } from '../fixture-path.js';
import { runPneumo } from './run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-error-lines-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const SAMPLE_DICOM = path.join(
  SIIM_SAMPLE,
  readdirSync(SIIM_SAMPLE).find((f) => f.endsWith('.dcm'))!,
);
const RAW_NODE_ERROR = /ENOENT|EISDIR|ENOTDIR|illegal operation|no such file or directory, /;

function oneLine(args: string[], status: 1 | 2, pattern: RegExp): string {
  const run = runPneumo(args);
  assert.equal(run.status, status, `${args.join(' ')}: ${run.stderr}`);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.match(run.stderr, /^pneumo: (?!pneumo: )/);
  assert.match(run.stderr, pattern);
  assert.doesNotMatch(run.stderr, RAW_NODE_ERROR);
  return run.stderr;
}

test('train: a setting training would reject later is a usage error now, before any data is read', () => {
  const data = path.join(root, 'no-data-needed');
  const out = path.join(root, 'run');
  const train = (...args: string[]) => ['train', ...args, '--data', data, '--out', out];
  // Each run loads the engine (seconds), so two runs cover the kinds of check.
  oneLine(train('classifier', '--size', '100'), 2, /multiple of 32 .* for size but received 100/);
  // A model of the other task, given as a flag next to a good config file: the flag's fault, so 2
  // (a config file's own faults stay a failed input, 1, as test/cli/train.test.ts has it).
  const config = path.join(root, 'config.yaml');
  writeFileSync(config, 'epochs: 3\n');
  oneLine(
    train('segmenter', '--config', config, '--model', 'classifier-resnet18-w16'),
    2,
    /classifier-resnet18-w16 is a classification model; `train segmenter` needs a segmentation model/,
  );
});

test('predict --dicomweb takes an http(s) URL only: anything else is a usage error', () => {
  oneLine(
    ['predict', '--dicomweb', 'pacs.example', '--study', '1.2.3', '--bundle', root, '--out', root],
    2,
    /option '--dicomweb <url>' argument 'pacs\.example' is invalid/,
  );
});

test('the help hint names the command as typed: `pneumo dicom render`, also for `pneumo render`', () => {
  oneLine(
    ['render', SAMPLE_DICOM],
    2,
    /unknown command 'render' \(did you mean `pneumo dicom render`\? run `pneumo dicom render --help` for usage\)/,
  );
  oneLine(['dicom', 'render', SAMPLE_DICOM], 2, /--out <png>.*\(run `pneumo dicom render --help` for usage\)\n$/);
  oneLine(['dicom', 'rendr'], 2, /unknown command 'rendr' \(Did you mean render\?\) \(run `pneumo dicom --help`/);
  oneLine(['serve', 'token', 'create'], 2, /--role <role>.*run `pneumo serve token create --help`/);
});

test('dicom render into a folder that does not exist: one line naming it, not libvips write errors', () => {
  const out = path.join(root, 'missing-dir', 'x.png');
  oneLine(
    ['dicom', 'render', SAMPLE_DICOM, '--out', out],
    1,
    new RegExp(`x\\.png: the folder .*missing-dir does not exist\\n$`),
  );
});

test('dicom info: a file cut inside its pixel data says so; a missing file and a folder are named with the reason', () => {
  const whole = readFileSync(SAMPLE_DICOM);
  const cut = path.join(root, 'cut.dcm');
  writeFileSync(cut, whole.subarray(0, 3000));
  const run = runPneumo(['dicom', 'info', '--json', cut, path.join(root, 'absent.dcm'), root]);
  assert.equal(run.status, 1, run.stderr);
  const { files, failures } = JSON.parse(run.stdout) as {
    files: unknown[];
    failures: { file: string; kind: string; reason: string }[];
  };
  assert.equal(files.length, 0);
  assert.deepEqual(
    failures.map((f) => [path.basename(f.file), f.kind]),
    [
      ['cut.dcm', 'truncated'],
      ['absent.dcm', 'unreadable'],
      [path.basename(root), 'unreadable'],
    ],
  );
  assert.match(failures[0].reason, /cut\.dcm: the pixel data is cut short: the file ends inside the Pixel Data/);
  assert.equal(failures[1].reason, `${path.join(root, 'absent.dcm')}: no such file or folder`);
  assert.equal(failures[2].reason, `${root}: is a folder, not a file`);
  assert.doesNotMatch(run.stderr, RAW_NODE_ERROR);
  // Cut right after the header: nothing of the pixel data is there.
  const headerOnly = path.join(root, 'header-only.dcm');
  const pixelDataTag = Buffer.from([0xe0, 0x7f, 0x10, 0x00]);
  writeFileSync(headerOnly, whole.subarray(0, whole.indexOf(pixelDataTag)));
  const bare = runPneumo(['dicom', 'info', headerOnly]);
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /\[truncated\] header-only\.dcm: the pixel data is missing/);
  assert.equal(runPneumo(['dicom', 'info', SAMPLE_DICOM]).status, 0, 'a whole file still passes');
});

test('evaluate --split val on labels whose split holds training images: exit 1, one line, nothing written', async () => {
  const c = path.join(root, 'run-c');
  const s = path.join(root, 'run-s');
  await writeRegistryRun(c, { architecture: 'classifier-resnet18-w16', inputSize: 64 });
  await writeRegistryRun(s, { architecture: 'unet-resnet18-w16', inputSize: 64 });
  // Trained, say the runs, on every sample image but one: any validation split overlaps.
  const ids = readFileSync(SIIM_SAMPLE_CSV, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => line.split(',')[0]);
  recordRunImages(c, ids.slice(1), ids.slice(0, 1));
  recordRunImages(s, ids.slice(1), ids.slice(0, 1));
  const bundle = path.join(root, 'bundle');
  await makeBundle({ classifierRun: c, segmenterRun: s, out: bundle });
  const out = path.join(root, 'evaluation');
  const args = ['evaluate', '--bundle', bundle, '--data', SIIM_SAMPLE, '--labels', SIIM_SAMPLE_CSV, '--out', out];
  oneLine(args, 1, /the validation split holds \d+ of \d+ images the bundle was trained on .*--allow-overlap/);
  assert.equal(existsSync(path.join(out, 'evaluation.json')), false);
});
