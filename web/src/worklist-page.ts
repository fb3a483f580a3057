// The worklist: every study in the service's priority order, refreshed by polling. Rows are updated in
// place (keyed by UID), so a refresh keeps the reader's selection and scroll position. J/K move, Enter
// opens; the filters narrow the list without reordering it.
import { fetchWorklist, type WorklistItem } from './api.js';
import { el, plainKey, typingInField } from './dom.js';
import { areaText, probabilityText, statusText, verdictText, waitingText } from './format.js';
import {
  FILTERS,
  currentFilter,
  matchesFilter,
  openedStudies,
  rememberOrder,
  selectedStudy,
  setFilter,
  setSelectedStudy,
  type Filter,
} from './session.js';

const POLL_MS = 3000;
const COLUMNS = ['Verdict', 'Probability', 'Area', 'Waiting', 'Sex', 'Age', 'View', 'Status'];
const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  unread: 'Unread',
  positive: 'Positive',
  disagreed: 'Disagreed',
};

export function showWorklist(root: HTMLElement, open: (uid: string) => void, logout: () => void): () => void {
  const filterButtons = FILTERS.map((filter) =>
    el('button', { type: 'button', class: 'filter', 'data-filter': filter }, FILTER_LABELS[filter]),
  );
  const refreshed = el('span', { class: 'refreshed', role: 'status' }, 'loading…');
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'worklist', 'aria-label': 'Worklist' },
    el('thead', {}, el('tr', {}, ...COLUMNS.map((c) => el('th', { scope: 'col' }, c)))),
    tbody,
  );
  const scroller = el('div', { class: 'table-scroll' }, table);
  const empty = el('p', { class: 'empty', hidden: true }, 'No studies match this filter.');
  const logoutButton = el('button', { type: 'button', class: 'logout' }, 'Log out');
  root.replaceChildren(
    el(
      'header',
      { class: 'bar' },
      el('h1', {}, 'pneumo worklist'),
      el('div', { class: 'filters', role: 'group', 'aria-label': 'Filter' }, ...filterButtons),
      refreshed,
      el('span', { class: 'hint' }, 'J/K move · Enter open'),
      logoutButton,
    ),
    scroller,
    empty,
  );

  let items: WorklistItem[] = [];
  let selected = selectedStudy();
  const rows = new Map<string, HTMLTableRowElement>();

  const visible = () => items.filter((item) => matchesFilter(item, currentFilter()));

  function cells(item: WorklistItem, opened: ReadonlySet<string>): string[] {
    const waiting = waitingText(item) + (item.escalated ? ' ⚠' : '');
    return [
      verdictText(item),
      probabilityText(item),
      areaText(item),
      waiting,
      item.patient.sex ?? '–',
      item.patient.age !== null ? String(item.patient.age) : '–',
      item.viewPosition ?? '–',
      statusText(item, opened),
    ];
  }

  function render(): void {
    const scrollTop = scroller.scrollTop;
    const opened = openedStudies();
    const shown = visible();
    rememberOrder(shown.map((item) => item.uid));
    const keep = new Set(shown.map((item) => item.uid));
    for (const [uid, row] of rows) {
      if (!keep.has(uid)) {
        row.remove();
        rows.delete(uid);
      }
    }
    if (selected && !keep.has(selected)) selected = shown[0]?.uid ?? null;
    if (!selected && shown.length > 0) selected = shown[0].uid;
    shown.forEach((item, index) => {
      let row = rows.get(item.uid);
      if (!row) {
        row = el('tr', { 'data-uid': item.uid, tabindex: -1 }, ...COLUMNS.map(() => el('td')));
        row.addEventListener('click', () => select(item.uid));
        row.addEventListener('dblclick', () => open(item.uid));
        rows.set(item.uid, row);
      }
      const values = cells(item, opened);
      values.forEach((text, i) => {
        if (row!.cells[i].textContent !== text) row!.cells[i].textContent = text;
      });
      row.className = [
        item.result?.decision ? 'positive' : '',
        item.escalated ? 'escalated' : '',
        item.review ? 'reviewed' : '',
      ]
        .filter(Boolean)
        .join(' ');
      row.classList.toggle('selected', item.uid === selected);
      row.setAttribute('aria-selected', String(item.uid === selected));
      if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] ?? null);
    });
    empty.hidden = shown.length > 0;
    for (const button of filterButtons)
      button.setAttribute('aria-pressed', String(button.dataset.filter === currentFilter()));
    scroller.scrollTop = scrollTop;
  }

  function select(uid: string | null, focus = false): void {
    if (!uid) return;
    selected = uid;
    setSelectedStudy(uid);
    render();
    const row = rows.get(uid);
    if (row) {
      row.scrollIntoView({ block: 'nearest' });
      if (focus) row.focus({ preventScroll: true });
    }
  }

  function move(step: number): void {
    const shown = visible();
    if (shown.length === 0) return;
    const here = shown.findIndex((item) => item.uid === selected);
    const next = Math.min(shown.length - 1, Math.max(0, here < 0 ? 0 : here + step));
    select(shown[next].uid, true);
  }

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  async function refresh(): Promise<void> {
    try {
      const first = items.length === 0;
      items = await fetchWorklist();
      refreshed.textContent = `updated ${new Date().toLocaleTimeString()} · ${items.length} studies`;
      render();
      // Back from the viewer: bring the study last opened into view.
      if (first && selected) rows.get(selected)?.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      refreshed.textContent = `refresh failed: ${(err as Error).message}`;
    }
    if (!stopped) timer = setTimeout(refresh, POLL_MS);
  }

  for (const button of filterButtons) {
    button.addEventListener('click', () => {
      setFilter(button.dataset.filter as Filter);
      render();
    });
  }
  logoutButton.addEventListener('click', logout);

  const onKey = (event: KeyboardEvent) => {
    if (typingInField(event) || !plainKey(event)) return;
    if (event.key === 'j' || event.key === 'J' || event.key === 'ArrowDown') move(1);
    else if (event.key === 'k' || event.key === 'K' || event.key === 'ArrowUp') move(-1);
    else if (event.key === 'Enter' && selected && !(event.target instanceof HTMLButtonElement)) open(selected);
    else return;
    event.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  void refresh();

  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('keydown', onKey);
  };
}
