/**
 * What every measurement of `scripts/bench.ts` hands back: rows of the one table, and lines
 * for the "naive vs ours" section. Nothing here asserts; a target is only printed.
 */

export interface Row {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  readonly how: string;
  /** Whether the measured value meets the target; undefined when there is no clear verdict. */
  readonly met?: boolean;
}

export interface Comparison {
  readonly what: string;
  readonly naive: string;
  readonly ours: string;
  /** naive / ours; undefined when ours is 0 or either side is unknown. */
  readonly ratio?: number;
}

export interface Measurement {
  readonly rows: Row[];
  readonly comparisons?: Comparison[];
  /** Extra facts for the notes under the table (one line each). */
  readonly notes?: string[];
}

/** A row for a measurement that crashed: the bench goes on and exits 1 at the end. */
export function crashedRow(figure: string, target: string, how: string, error: unknown): Row {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return { figure, measured: `**not measured**: ${message}`, target, how, met: false };
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export function bytes(n: number): string {
  return `${n.toLocaleString('en-US')} B`;
}

export function ms(value: number, digits = 0): string {
  return `${value.toFixed(digits)} ms`;
}

export function ratio(naive: number, ours: number): number | undefined {
  return ours > 0 && Number.isFinite(naive) ? naive / ours : undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `|` inside a cell would split it. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| figure | measured | target | how |', '|---|---|---|---|'];
  for (const row of rows) {
    const verdict = row.met === undefined ? '' : row.met ? ' ✓' : ' ✗';
    lines.push(`| ${cell(row.figure)} | ${cell(row.measured)}${verdict} | ${cell(row.target)} | ${cell(row.how)} |`);
  }
  return lines.join('\n');
}

export function comparisonLines(comparisons: readonly Comparison[]): string {
  return comparisons
    .map((c) => {
      const times = c.ratio === undefined ? '' : ` → **${c.ratio >= 10 ? c.ratio.toFixed(0) : c.ratio.toFixed(1)}×** fewer`;
      return `- ${c.what}: naive ${c.naive}, ours ${c.ours}${times}`;
    })
    .join('\n');
}
