// The modules every object pneumo writes shares: SOP Common, Patient, Patient Study and General
// Study (copied from the source, so the result lands in the source's study), General Series, General
// and Enhanced General Equipment (pneumo and the bundle's algorithm), and the content date and time.
import { hostname } from 'node:os';
import type { BundleManifest } from '../pipeline/bundle-manifest.js';
import { modelIdentity } from '../pipeline/model-identity.js';
import { UTF8, type Dataset } from './dcmjs.js';
import type { SourceImage } from './source-image.js';
import { nameUid, newUid } from './uid.js';

/** What the segment, the SR and the equipment modules name as the producer of a result. */
export interface Algorithm {
  name: string;
  version: string;
}

const lo = (text: string) => (text.length <= 64 ? text : text.slice(0, 64));

/** The bundle's identity: its two architectures, and pneumo's version with the bundle's creation time. */
export function algorithmOfBundle(manifest: BundleManifest): Algorithm {
  const model = modelIdentity(manifest);
  return { name: lo(model.name), version: lo(model.version) };
}

/** The Device Observer UID of the SRs this machine writes: the same on every run, different per host. */
export function deviceObserverUid(): string {
  return nameUid(`pneumo device ${hostname()}`);
}

/** Series and instance of one new object. */
export interface NewInstance {
  seriesInstanceUid: string;
  sopInstanceUid: string;
  seriesNumber: number;
  instanceNumber: number;
  seriesDescription: string;
}

export function newInstance(seriesNumber: number, seriesDescription: string): NewInstance {
  return { seriesInstanceUid: newUid(), sopInstanceUid: newUid(), seriesNumber, instanceNumber: 1, seriesDescription };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
export const dicomDate = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
export const dicomTime = (d: Date) => `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;

export interface CommonOptions {
  sopClassUid: string;
  modality: string;
  instance: NewInstance;
  algorithm: Algorithm;
  created: Date;
}

export function commonModules(source: SourceImage, o: CommonOptions): Dataset {
  return {
    SpecificCharacterSet: UTF8,
    SOPClassUID: o.sopClassUid,
    SOPInstanceUID: o.instance.sopInstanceUid,
    InstanceCreationDate: dicomDate(o.created),
    InstanceCreationTime: dicomTime(o.created),
    ...source.patientAndStudy,
    StudyInstanceUID: source.studyInstanceUid,
    Modality: o.modality,
    SeriesInstanceUID: o.instance.seriesInstanceUid,
    SeriesNumber: o.instance.seriesNumber,
    SeriesDescription: o.instance.seriesDescription,
    SeriesDate: dicomDate(o.created),
    SeriesTime: dicomTime(o.created),
    Manufacturer: 'pneumo',
    ManufacturerModelName: o.algorithm.name,
    DeviceSerialNumber: lo(hostname() || 'unknown'),
    SoftwareVersions: o.algorithm.version,
    InstanceNumber: o.instance.instanceNumber,
    ContentDate: dicomDate(o.created),
    ContentTime: dicomTime(o.created),
  };
}

/** An item of a Referenced SOP / Source Image sequence pointing at the source image. */
export function sourceReference(source: SourceImage): Dataset {
  return { ReferencedSOPClassUID: source.sopClassUid, ReferencedSOPInstanceUID: source.sopInstanceUid };
}
