// A small builder for self-contained HTML reports (EDA, training, evaluation, prediction, and the demo's
// index linking them). Every piece of text is escaped; the CSS is inline; links to files are written
// relative to the report's folder, so the folder can be moved or zipped and still work.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SavedPlot } from './plot.js';

export type Cell = string | number | boolean | null | undefined;

export interface HeadlineFigure {
  label: string;
  value: string | number;
  /** A short line under the figure, e.g. "22.3% of images". */
  note?: string;
}

export interface TableOptions {
  columns: readonly string[];
  rows: readonly (readonly Cell[])[];
  caption?: string;
}

export interface ImageOptions {
  caption?: string;
  /** Text for screen readers and broken images; default the caption. */
  alt?: string;
  /** Where a click on the image goes (e.g. the full-size file). */
  link?: string;
  /** Display width in CSS pixels; default the image's own, up to the page width. */
  width?: number;
}

export interface LinkItem {
  href: string;
  text: string;
  note?: string;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** Integers with thousands separators, fractions to 4 significant digits, empty for null/NaN. */
export function formatCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? '' : String(value);
    return Number.isInteger(value) ? value.toLocaleString('en-US') : Number(value.toPrecision(4)).toString();
  }
  return String(value);
}

/**
 * An href as the report in `reportDir` must write it: URLs and fragments unchanged, absolute file paths
 * made relative to `reportDir`, every path segment percent-encoded.
 */
export function relativeHref(href: string, reportDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#')) return href;
  const relative = path.isAbsolute(href) ? path.relative(reportDir, href) : href;
  return relative.split(path.sep).join('/').split('/').map(encodeURIComponent).join('/');
}

type Block = (reportDir: string) => string;

interface Section {
  title: string;
  id: string;
  blocks: Block[];
}

export class HtmlReport {
  private readonly sections: Section[] = [];
  private readonly preamble: Block[] = [];
  private readonly ids = new Set<string>();

  constructor(
    readonly title: string,
    private readonly options: { subtitle?: string; generatedAt?: Date } = {},
  ) {}

  /** Starts a section; later blocks go into it, and it is listed in the table of contents. */
  section(title: string): this {
    let id =
      title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'section';
    for (let n = 2; this.ids.has(id); n++) id = `${id.replace(/-\d+$/, '')}-${n}`;
    this.ids.add(id);
    this.sections.push({ title, id, blocks: [] });
    return this;
  }

  paragraph(text: string): this {
    return this.add(() => `<p>${escapeHtml(text)}</p>`);
  }

  /** A highlighted remark: 'warning' for things a reader must not miss (bad files, implausible values). */
  note(text: string, tone: 'info' | 'warning' = 'info'): this {
    return this.add(() => `<p class="note ${tone}">${escapeHtml(text)}</p>`);
  }

  list(items: readonly string[]): this {
    return this.add(() => `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
  }

  /** The few numbers a reader should see first, as large figures. */
  headlines(figures: readonly HeadlineFigure[]): this {
    return this.add(
      () =>
        `<div class="headlines">${figures
          .map(
            (f) =>
              `<div class="headline"><div class="value">${escapeHtml(typeof f.value === 'number' ? formatCell(f.value) : f.value)}</div>` +
              `<div class="label">${escapeHtml(f.label)}</div>${f.note ? `<div class="hint">${escapeHtml(f.note)}</div>` : ''}</div>`,
          )
          .join('')}</div>`,
    );
  }

  table(table: TableOptions): this {
    const width = table.columns.length;
    for (const [i, row] of table.rows.entries()) {
      if (row.length !== width)
        throw new RangeError(
          `table "${table.caption ?? table.columns.join(', ')}": row ${i + 1} has ${row.length} cells, expected ${width}`,
        );
    }
    // A column whose filled cells are all numbers is right-aligned.
    const numeric = table.columns.map(
      (_, c) =>
        table.rows.some((r) => typeof r[c] === 'number') &&
        table.rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'),
    );
    return this.add(() => {
      const head = table.columns.map((c, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('');
      const body = table.rows
        .map(
          (r) =>
            `<tr>${r.map((v, i) => `<td${numeric[i] ? ' class="num"' : ''}>${escapeHtml(formatCell(v))}</td>`).join('')}</tr>`,
        )
        .join('\n');
      const caption = table.caption ? `<caption>${escapeHtml(table.caption)}</caption>` : '';
      return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
    });
  }

  image(src: string, options: ImageOptions = {}): this {
    return this.add((dir) => {
      const alt = escapeHtml(options.alt ?? options.caption ?? '');
      const width = options.width ? ` width="${Math.round(options.width)}"` : '';
      let img = `<img src="${escapeHtml(relativeHref(src, dir))}" alt="${alt}"${width} loading="lazy">`;
      if (options.link) img = `<a href="${escapeHtml(relativeHref(options.link, dir))}">${img}</a>`;
      const caption = options.caption ? `<figcaption>${escapeHtml(options.caption)}</figcaption>` : '';
      return `<figure>${img}${caption}</figure>`;
    });
  }

  /** A chart saved by `savePlot`: the SVG shown (sharp at any zoom), a click opens the PNG. */
  plot(saved: SavedPlot, caption?: string): this {
    return this.image(saved.svg, { caption, link: saved.png });
  }

  links(items: readonly LinkItem[]): this {
    return this.add(
      (dir) =>
        `<ul class="links">${items
          .map(
            (l) =>
              `<li><a href="${escapeHtml(relativeHref(l.href, dir))}">${escapeHtml(l.text)}</a>${l.note ? ` <span class="hint">${escapeHtml(l.note)}</span>` : ''}</li>`,
          )
          .join('')}</ul>`,
    );
  }

  /** The whole document; file links are made relative to `reportDir`, the folder the page will live in. */
  render(reportDir: string): string {
    const dir = path.resolve(reportDir);
    const generated = (this.options.generatedAt ?? new Date())
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC');
    const toc =
      this.sections.length > 1
        ? `<nav><ul>${this.sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a></li>`).join('')}</ul></nav>`
        : '';
    const body = [
      ...this.preamble.map((b) => b(dir)),
      ...this.sections.map(
        (s) =>
          `<section id="${s.id}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.blocks.map((b) => b(dir)).join('\n')}\n</section>`,
      ),
    ].join('\n');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(this.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(this.title)}</h1>${this.options.subtitle ? `<p class="subtitle">${escapeHtml(this.options.subtitle)}</p>` : ''}<p class="generated">Generated ${escapeHtml(generated)} by pneumo</p></header>
${toc}
<main>
${body}
</main>
</body>
</html>
`;
  }

  /** Writes the page to `file` (creating its folder) and returns the path. */
  async write(file: string): Promise<string> {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, this.render(path.dirname(path.resolve(file))));
    return file;
  }

  private add(block: Block): this {
    (this.sections.at(-1)?.blocks ?? this.preamble).push(block);
    return this;
  }
}

const STYLE = `
body{font-family:"DejaVu Sans",system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa;line-height:1.45}
header{background:#1f3b57;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:1.6em}
.subtitle{margin:4px 0 0;opacity:.9}
.generated{margin:4px 0 0;font-size:.8em;opacity:.7}
nav{background:#fff;border-bottom:1px solid #ddd;padding:6px 32px}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px}
nav a{color:#1f3b57;text-decoration:none;font-size:.92em}
main{max-width:1100px;margin:0 auto;padding:8px 32px 48px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:4px 22px 16px;margin:18px 0}
h2{color:#1f3b57;border-bottom:2px solid #e8eef4;padding-bottom:4px}
.headlines{display:flex;flex-wrap:wrap;gap:12px}
.headline{border:1px solid #dde5ec;border-radius:6px;padding:10px 16px;min-width:120px;background:#f5f8fb}
.headline .value{font-size:1.7em;font-weight:bold;color:#1f3b57}
.headline .label{font-size:.9em}
.hint{font-size:.82em;color:#666}
table{border-collapse:collapse;margin:12px 0;font-size:.92em;max-width:100%}
caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 12px;text-align:left;overflow-wrap:break-word}
th{background:#f0f3f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:10px 16px 10px 0;vertical-align:top;max-width:100%}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#444;max-width:560px}
.note{padding:8px 12px;border-radius:4px}
.note.info{background:#eef5fb;border-left:4px solid #4c78a8}
.note.warning{background:#fdf1ee;border-left:4px solid #e45756}
.links li{margin:4px 0}
`;
