// What the service's log must never carry: identifying DICOM attributes and credentials. The service
// logs UIDs only; these pino redact paths are the safety net for anything that puts an instance's
// patient fields or a request's Authorization header into a log line.
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'patient',
  'patientName',
  'patientId',
  'patientBirthDate',
  '*.patient',
  '*.patientName',
  '*.patientId',
  '*.patientBirthDate',
] as const;
