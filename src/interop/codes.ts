// Coded concepts used in the objects pneumo writes: values, never free strings (highdicom's `Code`).
// SCT is SNOMED CT, DCM the DICOM Controlled Terminology (PS3.16), UCUM the units.

export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

const code = (value: string, scheme: string, meaning: string): Code => ({ value, scheme, meaning });

/** A Code Sequence item (Basic Coded Entry attributes). */
export function codeItem(c: Code): Record<string, string> {
  return { CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning };
}

export const CODES = {
  pneumothorax: code('36118008', 'SCT', 'Pneumothorax'),
  morphologicallyAbnormalStructure: code('49755003', 'SCT', 'Morphologically abnormal structure'),
  chest: code('51185008', 'SCT', 'Thorax'),
  plainChestXray: code('399208008', 'SCT', 'Plain chest X-ray'),
  present: code('52101004', 'SCT', 'Present'),
  absent: code('2667000', 'SCT', 'Absent'),
  area: code('42798000', 'SCT', 'Area'),
  source: code('260753009', 'SCT', 'Source'),
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  englishUS: code('en-US', 'RFC5646', 'English (United States)'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  device: code('121007', 'DCM', 'Device'),
  deviceObserverUid: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: code('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: code('121015', 'DCM', 'Device Observer Model Name'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: code('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: code('121071', 'DCM', 'Finding'),
  referencedSegment: code('121191', 'DCM', 'Referenced Segment'),
  artificialIntelligence: code('123110', 'DCM', 'Artificial Intelligence'),
  segmentation: code('113076', 'DCM', 'Segmentation'),
  sourceImageForProcessing: code('121322', 'DCM', 'Source image for image processing operation'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  // No standard code says "probability that the finding is present" or "decision threshold";
  // local codes (a 99 scheme, PS3.3 8.2) keep them machine-readable.
  probabilityOfFinding: code('PROB', '99PNEUMO', 'Probability of finding'),
  decisionThreshold: code('THRESH', '99PNEUMO', 'Decision threshold'),
  // The two size measures clinicians grade a pneumothorax by have no standard code either.
  apexToCupolaDistance: code('APEXCUP', '99PNEUMO', 'Apex-to-cupola distance'),
  interpleuralDistanceAtHilum: code('INTERPLHIL', '99PNEUMO', 'Interpleural distance at the level of the hilum'),
  accpMethod: code('ACCP2001', '99PNEUMO', 'ACCP 2001 apex-to-cupola grading (large at 3 cm or more)'),
  btsMethod: code('BTS2010', '99PNEUMO', 'BTS 2010 interpleural grading (large at 2 cm or more)'),
  measurementMethod: code('370129005', 'SCT', 'Measurement Method'),
  size: code('246115007', 'SCT', 'Size'),
  large: code('255509001', 'SCT', 'Large'),
  small: code('255507004', 'SCT', 'Small'),
  probabilityCalibration: code('PCAL', '99PNEUMO', 'Probability calibration'),
  operatingPoint: code('OPPOINT', '99PNEUMO', 'Operating point'),
  // The input gate: an image outside what the model was made for is reported as not assessed.
  notAssessed: code('NOTASSESSED', '99PNEUMO', 'Not assessed'),
  reasonNotAssessed: code('GATEREASON', '99PNEUMO', 'Reason not assessed'),
  outOfDistributionScore: code('OODSCORE', '99PNEUMO', 'Out-of-distribution score'),
  outOfDistributionThreshold: code('OODTHRESH', '99PNEUMO', 'Out-of-distribution threshold'),
  // Units (UCUM).
  unitless: code('1', 'UCUM', 'no units'),
  squareMillimetre: code('mm2', 'UCUM', 'square millimeter'),
  millimetre: code('mm', 'UCUM', 'millimeter'),
  pixels: code('{pixels}', 'UCUM', 'pixels'),
} as const;
