// The JPEG stream inside an encapsulated DICOM file, for the codec tests.
import { readFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';

export function jpegOf(file: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(file));
  const dataSet = dicomParser.parseDicom(bytes);
  const element = dataSet.elements.x7fe00010;
  return new Uint8Array(
    dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, 0, element.fragments!.length),
  );
}
