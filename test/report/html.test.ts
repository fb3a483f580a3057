import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { escapeHtml, formatCell, HtmlReport, relativeHref } from '../../src/report/html.js';

test('escapeHtml escapes the five special characters', () => {
  assert.equal(
    escapeHtml(`<a href="x">Tom & Jerry's</a>`),
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
  );
});

test('formatCell: thousands separators, 4 significant digits, blanks for missing', () => {
  assert.equal(formatCell(12089), '12,089');
  assert.equal(formatCell(0.223456), '0.2235');
  assert.equal(formatCell(null), '');
  assert.equal(formatCell(Number.NaN), '');
  assert.equal(formatCell('PA'), 'PA');
});

test('relativeHref: absolute paths become relative and encoded, URLs and fragments stay', () => {
  assert.equal(relativeHref('/out/run 1/plots/age.svg', '/out/run 1'), 'plots/age.svg');
  assert.equal(relativeHref('/out/eda/index.html', '/out/demo'), '../eda/index.html');
  assert.equal(relativeHref('/out/my plots/a#b.png', '/out'), 'my%20plots/a%23b.png');
  assert.equal(relativeHref('https://example.org/a b', '/out'), 'https://example.org/a b');
  assert.equal(relativeHref('#labels', '/out'), '#labels');
  assert.equal(relativeHref('plots/x.svg', '/out'), 'plots/x.svg');
});

test('report: every text escaped, sections listed with unique ids, numeric columns right-aligned', () => {
  const html = new HtmlReport('EDA <b>', { subtitle: 'a & b', generatedAt: new Date('2024-01-02T03:04:05Z') })
    .section('Labels')
    .headlines([{ label: 'Images', value: 12089, note: '<22%>' }])
    .table({
      columns: ['Sex', 'Images'],
      rows: [
        ['<M>', 7],
        ['F', null],
      ],
      caption: 'Sex & class',
    })
    .section('Labels')
    .note('bad "file"', 'warning')
    .list(['x<y'])
    .render('/tmp');
  assert.ok(!html.includes('<b>') && html.includes('EDA &lt;b&gt;'));
  assert.ok(
    html.includes('a &amp; b') && html.includes('&lt;22%&gt;') && html.includes('&lt;M&gt;') && html.includes('x&lt;y'),
  );
  assert.ok(html.includes('bad &quot;file&quot;'));
  assert.ok(html.includes('2024-01-02 03:04:05 UTC'));
  assert.ok(html.includes('<section id="labels">') && html.includes('<section id="labels-2">'));
  assert.ok(html.includes('href="#labels-2"'));
  assert.ok(html.includes('<td class="num">7</td>') && html.includes('<td>&lt;M&gt;</td>'));
  assert.ok(html.includes('<div class="value">12,089</div>'));
  assert.throws(() => new HtmlReport('t').table({ columns: ['a', 'b'], rows: [[1]] }), RangeError);
});

test('report: links and images still resolve after the folder is moved', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'pneumo-html-'));
  try {
    const before = path.join(root, 'run one');
    await mkdir(path.join(before, 'plots'), { recursive: true });
    await mkdir(path.join(root, 'run one', 'sub'), { recursive: true });
    await writeFile(path.join(before, 'plots', 'age.svg'), '<svg/>');
    await writeFile(path.join(before, 'plots', 'age.png'), '');
    await writeFile(path.join(before, 'sub', 'other.html'), '');
    const report = new HtmlReport('r')
      .section('Plots')
      .plot(
        { svg: path.join(before, 'plots', 'age.svg'), png: path.join(before, 'plots', 'age.png') },
        'Age <by> class',
      )
      .links([{ href: path.join(before, 'sub', 'other.html'), text: 'Other' }]);
    const file = await report.write(path.join(before, 'index.html'));
    const after = path.join(root, 'moved');
    await rename(before, after);
    const html = await readFile(path.join(after, path.basename(file)), 'utf8');
    const hrefs = [...html.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => decodeURIComponent(m[1]));
    assert.deepEqual(hrefs.sort(), ['plots/age.png', 'plots/age.svg', 'sub/other.html']);
    for (const h of hrefs) assert.ok(existsSync(path.join(after, h)), h);
    assert.ok(html.includes('<figcaption>Age &lt;by&gt; class</figcaption>'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
