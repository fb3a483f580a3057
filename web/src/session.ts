// What the reading room remembers for the tab: the filter, the studies opened, the selected row and
// the worklist order last shown (so that N in the viewer follows the order the reader saw).
import type { WorklistItem } from './api.js';

export type Filter = 'all' | 'unread' | 'positive' | 'disagreed';
export const FILTERS: readonly Filter[] = ['all', 'unread', 'positive', 'disagreed'];

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
  }
}

/**
 * The study after `uid` in the worklist as it stands now, under the current filter. When `uid` has left
 * the list (reviewed under "unread"), the first study that came after it in the order shown before.
 */
export function nextStudy(uid: string, now: readonly WorklistItem[], before: readonly string[]): string | null {
  const visible = now.filter((item) => matchesFilter(item, currentFilter()) && item.result !== null);
  const here = visible.findIndex((item) => item.uid === uid);
  if (here >= 0) return visible[here + 1]?.uid ?? null;
  const after = new Set(before.slice(before.indexOf(uid) + 1));
  return visible.find((item) => after.has(item.uid) && item.uid !== uid)?.uid ?? null;
}

let shownOrder: string[] = [];
export function rememberOrder(uids: string[]): void {
  shownOrder = uids;
}
export function lastShownOrder(): readonly string[] {
  return shownOrder;
}
