// Content items of a DICOM Structured Report (PS3.3 C.17.3), one constructor per value type. Each
// returns the data set of one item; a container takes its children.
import { codeItem, type Code } from './codes.js';
import type { Dataset } from './dcmjs.js';

export type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS PROPERTIES' | 'INFERRED FROM';

const named = (relationship: Relationship, valueType: string, concept: Code | null): Dataset => ({
  RelationshipType: relationship,
  ValueType: valueType,
  ...(concept ? { ConceptNameCodeSequence: [codeItem(concept)] } : {}),
});

export function containerItem(relationship: Relationship, concept: Code, children: Dataset[]): Dataset {
  return { ...named(relationship, 'CONTAINER', concept), ContinuityOfContent: 'SEPARATE', ContentSequence: children };
}

export function codeContentItem(relationship: Relationship, concept: Code, value: Code): Dataset {
  return { ...named(relationship, 'CODE', concept), ConceptCodeSequence: [codeItem(value)] };
}

export function textItem(relationship: Relationship, concept: Code, text: string): Dataset {
  return { ...named(relationship, 'TEXT', concept), TextValue: text };
}

export function uidItem(relationship: Relationship, concept: Code, uid: string): Dataset {
  return { ...named(relationship, 'UIDREF', concept), UID: uid };
}

/** A DS value: at most 16 characters, as DICOM requires. */
export function decimalString(value: number): string {
  for (let digits = 10; digits > 0; digits--) {
    const text = String(Number(value.toPrecision(digits)));
    if (text.length <= 16) return text;
  }
  return value.toExponential(0);
}

export function numItem(relationship: Relationship, concept: Code, value: number, unit: Code): Dataset {
  return {
    ...named(relationship, 'NUM', concept),
    MeasuredValueSequence: [{ NumericValue: decimalString(value), MeasurementUnitsCodeSequence: [codeItem(unit)] }],
  };
}

export interface InstanceReference {
  sopClassUid: string;
  sopInstanceUid: string;
  /** For a reference to one segment of a Segmentation. */
  segmentNumber?: number;
}

export function imageItem(relationship: Relationship, concept: Code | null, ref: InstanceReference): Dataset {
  return {
    ...named(relationship, 'IMAGE', concept),
    ReferencedSOPSequence: [
      {
        ReferencedSOPClassUID: ref.sopClassUid,
        ReferencedSOPInstanceUID: ref.sopInstanceUid,
        ...(ref.segmentNumber === undefined ? {} : { ReferencedSegmentNumber: ref.segmentNumber }),
      },
    ],
  };
}
