// CSV lines as the project reads and writes them (RFC 4180 quoting, one record per line): the strict
// readers (label files, hard-example lists) split lines with splitCsvLine, and the writers quote with
// csvField, which quotes a value with surrounding whitespace too because the reader trims unquoted
// fields.

/** The fields of one CSV line, trimmed, with RFC 4180 quoting; or the reason the line is not CSV. */
export function splitCsvLine(line: string): string[] | { error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      let closed = false;
      for (i++; i < line.length; i++) {
        if (line[i] !== '"') value += line[i];
        else if (line[i + 1] === '"') value += line[i++];
        else {
          closed = true;
          i++;
          break;
        }
      }
      if (!closed) return { error: `quote opened in field ${fields.length + 1} is not closed on this line` };
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',')
        return { error: `text after the closing quote of field ${fields.length + 1}` };
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return fields;
    i++; // past the comma; a comma at the very end leaves one more, empty field
    if (i === line.length) {
      fields.push('');
      return fields;
    }
  }
}

/** A field as written: quoted when it holds a quote, comma or line break, or starts or ends with whitespace. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV text: a header line, then one line per row, fields quoted as needed, LF, final newline. */
export function csvText(header: readonly string[], rows: Iterable<readonly string[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return lines.join('\n') + '\n';
}
