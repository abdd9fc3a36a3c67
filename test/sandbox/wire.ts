/**
 * Small helpers for values on the wire, shared by the portal and its task list.
 */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `2025-09-26T07:29:12+00:00`: Bitrix24's ATOM format (the sandbox portal runs on UTC). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** An integer parameter: missing or '' = 0; a number or digit string; otherwise undefined. */
export function intParam(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

/**
 * What PHP's json_encode makes of an associative array: `[]` when empty (hence the batch's
 * empty sections and `"result": []`), a JSON array for keys 0..n-1, otherwise an object.
 */
export function phpArray(entries: Array<[string, unknown]>): unknown {
  if (entries.length === 0) return [];
  if (entries.every(([key], index) => key === String(index))) return entries.map(([, value]) => value);
  return Object.fromEntries(entries);
}
