/**
 * `batch`'s references to earlier commands (Bitrix24's docs: "$result[KEY][field]…" in a
 * command's parameters is that value of command KEY's answer; commands run in order), read as
 * the rest module's server code does it (CRestUtil::ParseBatchQuery / processBatchElement):
 *
 * - the names are the answer's sections so far: `result`, `next`, `total`, `time`, `error`
 *   (an error answer adds `error_description`); `$name` matches them in any case, but the
 *   section is looked up as written (`$RESULT[...]` finds nothing);
 * - a reference runs from `$name` to the next white space, and every `[…]` in that run is a step;
 * - the walk goes down while the step holds a value that is not null, and stops where it does not:
 *   a missing value leaves the walk at the last value found (the command's whole answer, or the
 *   section when the command failed or comes later);
 * - a parameter that is the reference alone becomes that value, whatever it is (a map, null);
 * - inside a longer text (`chat$result[t][task][chatId]`) a number or a string replaces it,
 *   anything else (a map, null, a boolean) leaves the reference as written.
 *
 * Parameter names are not read for references here (the server's pass over them finds no section).
 */
import { Params } from './outcome';
import { isObject } from './wire';

/** Earlier commands' answers by section, then by command key: `{result: {task: {...}}, error: {...}}`. */
export type BatchSections = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** The parameters with every reference to an earlier command replaced as the portal does. */
export function resolveBatchReferences(params: Params, sections: BatchSections): Params {
  const names = Object.keys(sections).map(escapeRegExp).join('|');
  const resolve = (value: unknown): unknown => {
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
    return typeof value === 'string' && names !== '' ? resolveText(value, new RegExp(`\\$(${names})(\\S*)`, 'gi'), sections) : value;
  };
  return resolve(params) as Params;
}

function resolveText(text: string, reference: RegExp, sections: BatchSections): unknown {
  let value: unknown = text;
  for (const [whole, name, rest] of text.matchAll(reference)) {
    const steps = [...rest.matchAll(/\[([^\]]+)\]/g)].map((step) => step[1]);
    if (steps.length === 0) continue;
    let found: unknown = Object.hasOwn(sections, name) ? sections[name] : null;
    for (const step of steps) {
      if (!isObject(found) || !Object.hasOwn(found, step) || found[step] === null || found[step] === undefined) break;
      found = found[step];
    }
    if (whole === value) {
      value = found;
    } else if (typeof value === 'string' && (typeof found === 'string' || typeof found === 'number')) {
      value = value.split(whole).join(String(found));
    }
  }
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
