// The header facts of a stored instance, as the store tests insert them: a small 8-bit CR, PA view,
// with a patient but no study date.
import type { InstanceMeta } from '../../src/serve/store/store.js';

export function instanceMeta(uid: string, overrides: Partial<InstanceMeta> = {}): InstanceMeta {
  return {
    uid,
    studyUid: null,
    seriesUid: null,
    sopClassUid: null,
    patientId: 'P',
    patientName: 'N',
    patientSex: 'F',
    patientAge: 50,
    studyDate: null,
    studyTime: null,
    accessionNumber: null,
    studyDescription: null,
    modality: 'CR',
    viewPosition: 'PA',
    stationName: null,
    manufacturer: null,
    rows: 8,
    columns: 8,
    pixelSpacing: [0.2, 0.3],
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    photometricInterpretation: 'MONOCHROME2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    windowCenter: null,
    windowWidth: null,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    ...overrides,
  };
}
