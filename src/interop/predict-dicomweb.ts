// `pneumo predict --dicomweb URL --study UID [--push]`: finds the study's images with QIDO-RS (or
// the studies matching a QIDO query), retrieves them with WADO-RS into OUT/retrieved, predicts them as
// predict does files, writes SEG/SC/SR into OUT/dicom, and with push stores those back with STOW-RS,
// retrying while the PACS is unreachable; what cannot be delivered waits in OUT/dead-letters.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBundleManifest } from '../pipeline/bundle.js';
import { ttaName, ttaOn } from '../pipeline/tta.js';
import {
  predictFiles,
  safeFileStem,
  type PredictFilesOptions,
  type PredictFilesSummary,
} from '../pipeline/predict-files.js';
import { dicomOutputWriter } from './dicom-outputs.js';
import { DicomwebClient, type QidoQuery } from './dicomweb/client.js';
import { jsonString, TAGS } from './dicomweb/dicom-json.js';
import { FolderDeadLetters } from './dicomweb/folder-dead-letters.js';
import { batchesByStudy, forwardBatch, type RetryPolicy } from './dicomweb/forward.js';
import type { EmptySegmentation, ResultObject } from './result-objects.js';
import { SEGMENTATION_STORAGE } from './segmentation.js';

export interface PredictDicomwebOptions extends Omit<PredictFilesOptions, 'inputs' | 'listFiles' | 'derivedOutputs'> {
  url: string;
  headers?: Record<string, string>;
  /** Study Instance UIDs to predict. */
  studies?: readonly string[];
  /** A QIDO-RS study query whose matches are predicted too. */
  query?: QidoQuery;
  push?: boolean;
  /** Where the SEG, SC and SR go; OUT/dicom by default. */
  dicomOut?: string;
  emptySegmentation?: EmptySegmentation;
  retry?: Partial<RetryPolicy>;
  /** Told about each retry of a push. */
  onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

export interface PredictDicomwebSummary extends PredictFilesSummary {
  studies: string[];
  /** Instances retrieved (pneumo's own earlier results are not). */
  retrieved: number;
  dicomDir: string;
  /** Instances stored on the server by the push. */
  pushed: number;
  /** Set when some objects could not be pushed: the folder that holds them. */
  deadLetters: string | null;
}

/** SOP classes that are results rather than images: SEG and every SR. */
function isResultClass(sopClassUid: string): boolean {
  return sopClassUid === SEGMENTATION_STORAGE || sopClassUid.startsWith('1.2.840.10008.5.1.4.1.1.88.');
}

export async function predictDicomweb(o: PredictDicomwebOptions): Promise<PredictDicomwebSummary> {
  const client = new DicomwebClient({ url: o.url, headers: o.headers });
  const studies = new Set(o.studies ?? []);
  if (o.query)
    for (const study of await client.searchStudies(o.query)) {
      const uid = jsonString(study, TAGS.studyInstanceUid);
      if (uid) studies.add(uid);
    }
  if (studies.size === 0) throw new Error(`no study on ${o.url} matched the query`);
  const out = path.resolve(o.out);
  const retrievedDir = path.join(out, 'retrieved');
  await mkdir(retrievedDir, { recursive: true });
  const files: string[] = [];
  const failures: PredictFilesSummary['failures'] = [];
  const pushFailures: PredictFilesSummary['failures'] = [];
  for (const study of studies) {
    const instances = await client.searchInstances(study, { includefield: TAGS.manufacturer });
    if (instances.length === 0) failures.push({ file: `study ${study}`, reason: `no instances on ${o.url}` });
    for (const instance of instances) {
      const series = jsonString(instance, TAGS.seriesInstanceUid);
      const sop = jsonString(instance, TAGS.sopInstanceUid);
      if (!series || !sop) continue;
      const sopClass = jsonString(instance, TAGS.sopClassUid) ?? '';
      if (isResultClass(sopClass) || jsonString(instance, TAGS.manufacturer) === 'pneumo') continue;
      try {
        const file = path.join(retrievedDir, `${safeFileStem(sop)}.dcm`);
        await writeFile(file, await client.retrieveInstance(study, series, sop));
        files.push(file);
      } catch (err) {
        failures.push({ file: `instance ${sop}`, reason: (err as Error).message });
      }
    }
  }
  const dicomDir = path.resolve(o.dicomOut ?? path.join(out, 'dicom'));
  const objects: ResultObject[] = [];
  const summary =
    files.length > 0
      ? await predictFiles({
          ...o,
          inputs: files,
          derivedOutputs: dicomOutputWriter({
            dir: dicomDir,
            manifest: await readBundleManifest(o.bundle),
            emptySegmentation: o.emptySegmentation,
            onObjects: (written) => objects.push(...written),
          }),
        })
      : null;
  let pushed = 0;
  let deadLetters: string | null = null;
  if (o.push && objects.length > 0) {
    const sink = new FolderDeadLetters(path.join(out, 'dead-letters'));
    for (const batch of batchesByStudy(objects)) {
      const outcome = await forwardBatch(batch, {
        store: (instances, study) => client.store(instances, study),
        retry: o.retry,
        deadLetters: sink,
        onRetry: o.onRetry,
      });
      if (outcome.delivered) pushed += outcome.stored.length;
      else {
        pushed += batch.instances.length - (outcome.deadLetter?.instances.length ?? 0);
        deadLetters = sink.dir;
        pushFailures.push({
          file: `study ${batch.studyInstanceUid}`,
          reason: `push failed after ${outcome.attempts} tries (${outcome.reason}); kept in ${sink.dir}`,
        });
      }
    }
  }
  const base: PredictFilesSummary = summary ?? {
    total: 0,
    predicted: 0,
    positives: 0,
    notAssessed: 0,
    notAssessedReasons: {},
    gate: { enabled: true, learned: false },
    failures: [],
    predictionsFile: '',
    submissionFile: '',
    seconds: 0,
    imagesPerSecond: 0,
    threads: 0, // nothing was predicted
    tta: ttaName(ttaOn(o.tta)),
  };
  return {
    ...base,
    failures: [...failures, ...base.failures, ...pushFailures],
    studies: [...studies],
    retrieved: files.length,
    dicomDir,
    pushed,
    deadLetters,
  };
}
