/**
 * Fails when an image or link in the Markdown pages that go into the .vsix (README.md and
 * CHANGELOG.md, which the Marketplace and Open VSX show as the extension's page) would not
 * resolve there. `npm run package` runs it before `vsce package`.
 *
 *   node out/scripts/checkPackageLinks.js
 *
 * What resolves on those pages:
 * - an absolute https address, and any absolute link (not checked: there is no network here);
 * - `#anchor`: a heading of the same page;
 * - a relative path only when package.json names a `repository`: vsce then rewrites it to that
 *   repository's address, which serves the file if it is in the repository. Neither page
 *   resolves it against the files inside the .vsix, so without a repository it is broken.
 * Images must be https besides (vsce refuses others, the Marketplace would not show them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** An image or link that would not resolve, where it is, and why. */
export interface BrokenLink {
  target: string;
  line: number;
  why: string;
}

export interface LinkContext {
  /** Whether package.json names a repository (vsce rewrites relative links to it). */
  repository: boolean;
  /** Whether a path relative to the extension's folder is a file there. */
  exists: (relativePath: string) => boolean;
}

interface Reference {
  target: string;
  image: boolean;
  offset: number;
}

/** The page with its code blocks and code spans blanked out (lengths kept, so offsets stay). */
function withoutCode(markdown: string): string {
  const blank = (text: string): string => text.replace(/./g, ' ');
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (marker) fence = marker;
      return marker ? blank(line) : line.replace(/(`+)[^`]*?\1/g, blank);
    }
    if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    return blank(line);
  }).join('\n');
}

/** Every image and link target in page order: inline `[..](..)` and `![..](..)`, reference
 *  definitions, autolinks and HTML `src`/`href`. */
function referencesIn(markdown: string): Reference[] {
  const text = withoutCode(markdown);
  const found: Reference[] = [];
  const add = (target: string, image: boolean, offset: number): void => {
    found.push({ target: target.replace(/^<|>$/g, '').trim(), image, offset });
  };
  for (const m of text.matchAll(/(!?)\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+["'(][^)]*)?\)/g)) {
    add(m[2], m[1] === '!', m.index);
  }
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)) add(m[1], false, m.index);
  for (const m of text.matchAll(/<((?:https?|mailto):[^>\s]+)>/g)) add(m[1], false, m.index);
  for (const m of text.matchAll(/<(img|a)\b[^>]*?\s(src|href)\s*=\s*["']([^"']*)["']/gi)) {
    add(m[3], m[1].toLowerCase() === 'img', m.index);
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** GitHub's (and the Marketplace's) anchor for a heading: lower case, punctuation dropped,
 *  spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The images and links of one Markdown page that would not resolve on the extension's page. */
export function brokenLinks(markdown: string, context: LinkContext): BrokenLink[] {
  const anchors = new Set([...withoutCode(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => headingAnchor(m[1])));
  const broken: BrokenLink[] = [];
  for (const { target, image, offset } of referencesIn(markdown)) {
    const line = markdown.slice(0, offset).split('\n').length;
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1].toLowerCase();
    let why: string | undefined;
    if (target === '') {
      why = 'empty target';
    } else if (scheme) {
      if (image && scheme !== 'https') why = 'an image must come from an https address';
    } else if (target.startsWith('#')) {
      if (!anchors.has(decodeURIComponent(target.slice(1)))) why = 'no heading on this page has this anchor';
    } else if (!context.repository) {
      why = 'a relative path: the Marketplace and Open VSX resolve it against the repository, and package.json names none';
    } else if (!context.exists(decodeURIComponent(target.replace(/[?#].*$/, '')))) {
      why = 'a relative path to a file that is not in the repository';
    }
    if (why) broken.push({ target, line, why });
  }
  return broken;
}

/** The pages vsce puts into the package and the Marketplace shows. */
export const PACKAGE_PAGES = ['README.md', 'CHANGELOG.md'] as const;

function main(): number {
  const root = path.resolve(__dirname, '..', '..');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { repository?: unknown };
  const context: LinkContext = {
    repository: manifest.repository !== undefined,
    exists: (relativePath) => fs.statSync(path.join(root, relativePath), { throwIfNoEntry: false })?.isFile() ?? false,
  };
  let failures = 0;
  for (const page of PACKAGE_PAGES) {
    for (const { target, line, why } of brokenLinks(fs.readFileSync(path.join(root, page), 'utf8'), context)) {
      console.error(`${page}:${line}: ${target}: ${why}`);
      failures++;
    }
  }
  if (failures > 0) {
    console.error(`checkPackageLinks: ${failures} image(s) or link(s) would be broken on the extension's page`);
    return 1;
  }
  console.log(`checkPackageLinks: every image and link in ${PACKAGE_PAGES.join(' and ')} resolves`);
  return 0;
}

if (require.main === module) process.exit(main());
