// What the reading room remembers for the tab: the filter, the studies opened, the selected row and
// the worklist order last shown (so that N in the viewer follows the order the reader saw).
import type { WorklistItem } from './api.js';
import { studyRows, type StudyRow } from './study-rows.js';

export type Filter = 'all' | 'unread' | 'positive' | 'disagreed' | 'not-assessed';
export const FILTERS: readonly Filter[] = ['all', 'unread', 'positive', 'disagreed', 'not-assessed'];

const FILTER_KEY = 'pneumo.filter';
const OPENED_KEY = 'pneumo.opened';
const SELECTED_KEY = 'pneumo.selected';

export function currentFilter(): Filter {
  const stored = sessionStorage.getItem(FILTER_KEY) as Filter | null;
  return stored && FILTERS.includes(stored) ? stored : 'all';
}

export function setFilter(filter: Filter): void {
  sessionStorage.setItem(FILTER_KEY, filter);
}

export function openedStudies(): Set<string> {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(OPENED_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

export function markOpened(uid: string): void {
  const opened = openedStudies();
  opened.add(uid);
  sessionStorage.setItem(OPENED_KEY, JSON.stringify([...opened]));
}

export function selectedStudy(): string | null {
  return sessionStorage.getItem(SELECTED_KEY);
}

export function setSelectedStudy(uid: string): void {
  sessionStorage.setItem(SELECTED_KEY, uid);
}

/** A study matches when one of its images does. */
export function rowMatchesFilter(row: StudyRow<WorklistItem>, filter: Filter): boolean {
  return row.items.some((item) => matchesFilter(item, filter));
}

export function matchesFilter(item: WorklistItem, filter: Filter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'unread':
      return item.review === null;
    case 'positive':
      return item.result?.decision === true;
    case 'disagreed':
      return item.review?.verdict === 'disagree';
    case 'not-assessed':
      return item.result?.status === 'not-assessed';
  }
}

/**
 * The image to open after the study holding `uid`, in the worklist as it stands now under the current
 * filter (one row per study). When that study has left the list (reviewed under "unread"), the first
 * study that came after it in the order shown before (`before` holds study keys).
 */
export function nextStudy(uid: string, now: readonly WorklistItem[], before: readonly string[]): string | null {
  const rows = studyRows(now).filter((row) => rowMatchesFilter(row, currentFilter()) && row.open.result !== null);
  const here = rows.findIndex((row) => row.items.some((item) => item.uid === uid));
  if (here >= 0) return rows[here + 1]?.open.uid ?? null;
  const key = studyRows(now.filter((item) => item.uid === uid))[0]?.key;
  const after = new Set(before.slice(before.indexOf(key ?? '') + 1));
  return rows.find((row) => after.has(row.key) && row.key !== key)?.open.uid ?? null;
}

let shownOrder: string[] = [];
/** The study keys of the rows last shown, in order. */
export function rememberOrder(keys: string[]): void {
  shownOrder = keys;
}
export function lastShownOrder(): readonly string[] {
  return shownOrder;
}
