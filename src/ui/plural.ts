/**
 * Counts in words, in the plural form the display language needs: "1 new comment",
 * "5 new comments"; "1 задача просрочена", "3 задачи просрочены", "5 задач просрочено".
 *
 * A message is written once, in English, as its two English forms (`{0}` is the count):
 *
 *   plural(count, { one: '{0} new comment', other: '{0} new comments' })
 *
 * The display language's plural rules (`Intl.PluralRules`, CLDR) put the count into a category
 * (English: one, other; Russian: one, few, many, other), and each category is an l10n key of
 * its own: the English form (`one` for "one", `other` for every other category) with the
 * category as its translator comment, which VS Code's `l10n.t` turns into the key
 * `"<English form>/<category>"`. So a Russian bundle holds, for that message:
 *
 *   "{0} new comment/one":    "{0} новый комментарий"     1, 21, 101
 *   "{0} new comments/few":   "{0} новых комментария"     2–4, 22–24
 *   "{0} new comments/many":  "{0} новых комментариев"    0, 5–20, 25
 *   "{0} new comments/other": "{0} новых комментария"     fractions (never a count)
 *
 * English needs no bundle (VS Code shows the message itself). Without a bundle (English, or a
 * language we do not translate) the category comes from English rules, so never "21 new
 * comment" in a Ukrainian VS Code; a bundle that lacks the count's category falls back the same
 * way.
 *
 * No `vscode` import: the unit tests run this in plain Node against the real bundles, and
 * words.ts binds it to `vscode.l10n` and `vscode.env.language`.
 */

/** A plural message: its English forms; `{0}` stands for the count in both. */
export interface PluralForms {
  readonly one: string;
  readonly other: string;
}

export type PluralCategory = Intl.LDMLPluralRule;

/** What `plural` needs of `vscode.l10n`. */
export interface Localizer {
  readonly bundle: { readonly [key: string]: string } | undefined;
  t(options: { message: string; args: Array<string | number>; comment: string[] }): string;
}

/** English, the source language: the forms above are its forms. */
export const SOURCE_LANGUAGE = 'en';

const rulesByLanguage = new Map<string, Intl.PluralRules>();

function rulesFor(language: string): Intl.PluralRules {
  let rules = rulesByLanguage.get(language);
  if (!rules) {
    try {
      rules = new Intl.PluralRules(language);
    } catch {
      rules = new Intl.PluralRules(SOURCE_LANGUAGE); // a tag Intl does not accept
    }
    rulesByLanguage.set(language, rules);
  }
  return rules;
}

/** The CLDR plural category of `count` in `language`. */
export function pluralCategory(language: string, count: number): PluralCategory {
  return rulesFor(language).select(count);
}

/** Every category `language` distinguishes, e.g. Russian: few, many, one, other. */
export function pluralCategories(language: string): PluralCategory[] {
  return [...rulesFor(language).resolvedOptions().pluralCategories];
}

/** The `l10n.t` message and comment of one category, and the bundle key they make. */
export function pluralEntry(forms: PluralForms, category: PluralCategory): { message: string; comment: string; key: string } {
  const message = category === 'one' ? forms.one : forms.other;
  return { message, comment: category, key: `${message}/${category}` };
}

/** The bundle keys a language needs for one message. */
export function pluralKeys(forms: PluralForms, language: string): string[] {
  return pluralCategories(language).map((category) => pluralEntry(forms, category).key);
}

/** `count` in words in `language`, through `l10n` (see the top of this file). */
export function localizePlural(l10n: Localizer, language: string, count: number, forms: PluralForms): string {
  const bundle = l10n.bundle;
  let category = pluralCategory(bundle ? language : SOURCE_LANGUAGE, count);
  if (bundle && bundle[pluralEntry(forms, category).key] === undefined) {
    category = pluralCategory(SOURCE_LANGUAGE, count);
  }
  const { message, comment } = pluralEntry(forms, category);
  return l10n.t({ message, args: [count], comment: [comment] });
}
