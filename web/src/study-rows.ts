// The worklist's rows: one per study, however many images it has (a PA and a lateral are one
// reading). Rows keep the service's priority order, taken from their most urgent image; a row is
// opened at that image, and the viewer offers the study's others.

/** What grouping needs of a worklist item (api.ts WorklistItem has it all). */
export interface StudyImage {
  uid: string;
  studyUid: string | null;
  viewPosition: string | null;
  waitingMinutes: number;
  escalated: boolean;
  result: unknown;
}

export interface StudyRow<T extends StudyImage = StudyImage> {
  /** The Study Instance UID, or the image's own UID when the file has none. */
  key: string;
  /** The study's images in the service's priority order. */
  items: T[];
  /** The image the row opens: the most urgent one with a result, else the most urgent. */
  open: T;
}

export function studyKey(item: Pick<StudyImage, 'uid' | 'studyUid'>): string {
  return item.studyUid ?? `image:${item.uid}`;
}

export function studyRows<T extends StudyImage>(items: readonly T[]): StudyRow<T>[] {
  const rows = new Map<string, T[]>();
  for (const item of items) {
    const key = studyKey(item);
    const list = rows.get(key);
    if (list) list.push(item);
    else rows.set(key, [item]);
  }
  return [...rows].map(([key, list]) => ({ key, items: list, open: list.find((i) => i.result) ?? list[0] }));
}

/** The row's longest wait and whether any of its images is overdue. */
export function rowWaiting(row: StudyRow): { waitingMinutes: number; escalated: boolean } {
  return {
    waitingMinutes: Math.max(...row.items.map((i) => i.waitingMinutes)),
    escalated: row.items.some((i) => i.escalated),
  };
}

/** The study's views as the files name them (PA, AP, LL, ...), in the row's order. */
export function viewsText(row: StudyRow): string {
  return row.items.map((i) => i.viewPosition || '?').join(', ');
}
