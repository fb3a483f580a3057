// dcmjs ships no type declarations; the tests use only DicomDict and DicomMetaDictionary (see data/dicom/synthetic.ts).
declare module 'dcmjs';
