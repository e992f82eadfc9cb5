// How the CLI prints rows: an aligned table by default, or Markdown (--md), CSV with semicolons (--csv) or TSV
// (--tsv) for other tools, as PhotoPrism's CLI does.
export type TableFormat = 'table' | 'md' | 'csv' | 'tsv';

export type Cell = string | number | boolean | null | undefined;

function text(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  return String(cell);
}

/** ISO 8601 without milliseconds, readable and still sortable. */
export function when(value: string | null | undefined): string {
  return value ? value.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

function csvField(value: string, separator: string): string {
  return value.includes(separator) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function renderTable(headers: string[], rows: Cell[][], format: TableFormat): string {
  const cells = rows.map((row) => row.map(text));
  switch (format) {
    case 'csv':
      return [headers, ...cells].map((r) => r.map((v) => csvField(v, ';')).join(';')).join('\n') + '\n';
    case 'tsv':
      // TSV has no quoting: tabs and line breaks inside a value become spaces.
      return [headers, ...cells].map((r) => r.map((v) => v.replace(/[\t\r\n]/g, ' ')).join('\t')).join('\n') + '\n';
    case 'md': {
      const escape = (v: string) => v.replaceAll('|', '\\|').replace(/[\r\n]+/g, ' ');
      return (
        [
          `| ${headers.map(escape).join(' | ')} |`,
          `|${headers.map(() => '---').join('|')}|`,
          ...cells.map((r) => `| ${r.map(escape).join(' | ')} |`),
        ].join('\n') + '\n'
      );
    }
    case 'table': {
      const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
      const line = (r: string[]) =>
        r
          .map((v, i) => v.padEnd(widths[i]!))
          .join('  ')
          .trimEnd();
      return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
    }
  }
}

/** One record as "key: value" lines (show commands). */
export function renderRecord(fields: [string, Cell][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${k.padEnd(width)}  ${text(v)}`).join('\n') + '\n';
}

const GIB = 1024n ** 3n;

/** Bytes (a decimal string) as GiB: whole when exact, else two decimals. */
export function gib(bytes: string): string {
  const b = BigInt(bytes);
  return b % GIB === 0n ? `${b / GIB} GiB` : `${(Number(b) / Number(GIB)).toFixed(2)} GiB`;
}
