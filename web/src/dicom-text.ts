// DICOM values as a reader writes them: person names (PN) and study date and time (DA, TM).

/** A DICOM person name (Family^Given^Middle^Prefix^Suffix) as a reader writes it: "Family, Given Middle". */
export function personNameText(name: string | null): string {
  if (!name) return '–';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = name.split('=')[0].split('^');
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  return family && rest ? `${family}, ${rest}` : family || rest || '–';
}

/** Study date and time from DICOM DA and TM: 2024-03-05 14:07, or what the file gives. */
export function studyDateText(item: { studyDate: string | null; studyTime: string | null }): string {
  const d = item.studyDate ?? '';
  const t = item.studyTime ?? '';
  const date = /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
  const time = /^\d{4}/.test(t) ? `${t.slice(0, 2)}:${t.slice(2, 4)}` : t;
  return [date, time].filter(Boolean).join(' ') || '–';
}
