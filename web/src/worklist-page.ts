// The worklist: one row per study (study-rows.ts) in the service's priority order, naming the patient
// (name, ID, accession, study date and time, description), refreshed by polling. Rows are updated in
// place (keyed by study), so a refresh keeps the reader's selection and scroll position. J/K move,
// Enter opens; the filters narrow the list without reordering it.
import { fetchWorklist, type WorklistItem } from './api.js';
import { el, plainKey, typingInField } from './dom.js';
import { personNameText, studyDateText } from './dicom-text.js';
import { probabilityText, statusText, verdictText, waitingText } from './format.js';
import { rowWaiting, studyRows, viewsText, type StudyRow } from './study-rows.js';
import {
  FILTERS,
  currentFilter,
  rowMatchesFilter,
  openedStudies,
  rememberOrder,
  selectedStudy,
  setFilter,
  setSelectedStudy,
  type Filter,
} from './session.js';

const POLL_MS = 3000;
const COLUMNS = [
  'Patient',
  'Patient ID',
  'Accession',
  'Study date',
  'Description',
  'Views',
  'Verdict',
  'Probability',
  'Size',
  'Waiting',
  'Status',
];
const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  unread: 'Unread',
  positive: 'Positive',
  disagreed: 'Disagreed',
  'not-assessed': 'Not assessed',
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
      el('a', { href: '#/monitoring', class: 'monitoring-link' }, 'Monitoring'),
      logoutButton,
    ),
    scroller,
    empty,
  );

  let items: WorklistItem[] = [];
  let studies: StudyRow<WorklistItem>[] = [];
  let selected = selectedStudy();
  const rows = new Map<string, HTMLTableRowElement>();
  const byKey = new Map<string, StudyRow<WorklistItem>>();

  const visible = () => studies.filter((row) => rowMatchesFilter(row, currentFilter()));

  function cells(study: StudyRow<WorklistItem>, opened: ReadonlySet<string>): string[] {
    const item = study.open;
    const wait = rowWaiting(study);
    const large = study.items.some((i) => i.result?.size?.large);
    return [
      personNameText(item.patient.name),
      item.patient.id ?? '–',
      item.accessionNumber ?? '–',
      studyDateText(item),
      item.studyDescription ?? '–',
      viewsText(study),
      verdictText(item),
      probabilityText(item),
      study.items.some((i) => i.result?.decision) ? (large ? 'large' : item.result?.size ? 'small' : '–') : '–',
      waitingText(wait) + (wait.escalated ? ' ⚠' : ''),
      [...new Set(study.items.map((i) => statusText(i, opened)))].join(', '),
    ];
  }

  function render(): void {
    const scrollTop = scroller.scrollTop;
    const opened = openedStudies();
    const shown = visible();
    rememberOrder(shown.map((row) => row.key));
    const keep = new Set(shown.map((row) => row.key));
    for (const [uid, row] of rows) {
      if (!keep.has(uid)) {
        row.remove();
        rows.delete(uid);
      }
    }
    if (selected && !keep.has(selected)) selected = shown[0]?.key ?? null;
    if (!selected && shown.length > 0) selected = shown[0].key;
    shown.forEach((study, index) => {
      const key = study.key;
      let row = rows.get(key);
      if (!row) {
        row = el('tr', { 'data-study': key, tabindex: -1 }, ...COLUMNS.map(() => el('td')));
        row.addEventListener('click', () => select(key));
        row.addEventListener('dblclick', () => openStudy(key));
        rows.set(key, row);
      }
      row.dataset.uid = study.open.uid;
      const values = cells(study, opened);
      values.forEach((text, i) => {
        if (row!.cells[i].textContent !== text) {
          row!.cells[i].textContent = text;
          row!.cells[i].title = text;
        }
      });
      row.className = [
        study.items.some((i) => i.result?.decision) ? 'positive' : '',
        study.items.some((i) => i.result?.size?.large) ? 'large' : '',
        rowWaiting(study).escalated ? 'escalated' : '',
        study.items.every((i) => i.review) ? 'reviewed' : '',
        study.items.some((i) => i.result?.status === 'not-assessed') ? 'not-assessed' : '',
      ]
        .filter(Boolean)
        .join(' ');
      row.classList.toggle('selected', key === selected);
      row.setAttribute('aria-selected', String(key === selected));
      if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] ?? null);
    });
    empty.hidden = shown.length > 0;
    for (const button of filterButtons)
      button.setAttribute('aria-pressed', String(button.dataset.filter === currentFilter()));
    scroller.scrollTop = scrollTop;
  }

  function openStudy(key: string): void {
    const study = byKey.get(key);
    if (study) open(study.open.uid);
  }

  function select(key: string | null, focus = false): void {
    if (!key) return;
    selected = key;
    setSelectedStudy(key);
    render();
    const row = rows.get(key);
    if (row) {
      row.scrollIntoView({ block: 'nearest' });
      if (focus) row.focus({ preventScroll: true });
    }
  }

  function move(step: number): void {
    const shown = visible();
    if (shown.length === 0) return;
    const here = shown.findIndex((row) => row.key === selected);
    const next = Math.min(shown.length - 1, Math.max(0, here < 0 ? 0 : here + step));
    select(shown[next].key, true);
  }

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  async function refresh(): Promise<void> {
    try {
      const first = items.length === 0;
      items = await fetchWorklist();
      studies = studyRows(items);
      byKey.clear();
      for (const study of studies) byKey.set(study.key, study);
      refreshed.textContent = `updated ${new Date().toLocaleTimeString()} · ${studies.length} studies, ${items.length} images`;
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
    else if (event.key === 'Enter' && selected && !(event.target instanceof HTMLButtonElement)) openStudy(selected);
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
