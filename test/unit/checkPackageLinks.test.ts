/**
 * The check that `npm run package` runs (scripts/checkPackageLinks.ts): which images and links of
 * the packaged README and CHANGELOG would be broken on the Marketplace and Open VSX pages, and
 * that the real ones have none.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { brokenLinks, headingAnchor, PACKAGE_PAGES, type LinkContext } from '../../scripts/checkPackageLinks';

const root = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { repository?: unknown };
const inRepository = (relativePath: string): boolean => fs.existsSync(path.join(root, relativePath));
const noRepository: LinkContext = { repository: false, exists: inRepository };
const withRepository: LinkContext = { repository: true, exists: inRepository };

const targets = (markdown: string, context = noRepository): string[] => brokenLinks(markdown, context).map((b) => b.target);

describe('checkPackageLinks: images and links of the extension page', () => {
  it('catches a relative image and a relative link when package.json names no repository', () => {
    const page = '# Title\n\nText.\n\n![The view](media/screenshots/tree.png)\n\nSee [CONTRIBUTING.md](CONTRIBUTING.md).\n';
    const broken = brokenLinks(page, noRepository);
    assert.deepEqual(broken.map((b) => [b.target, b.line]), [['media/screenshots/tree.png', 5], ['CONTRIBUTING.md', 7]]);
    assert.match(broken[0].why, /names none/);
  });

  it('with a repository, accepts a relative path to a file it has and catches one to a file it lacks', () => {
    assert.deepEqual(targets('[guide](CONTRIBUTING.md) ![shot](media/screenshots/none.png)', withRepository),
      ['media/screenshots/none.png']);
  });

  it('catches reference definitions, HTML images and links, and empty targets', () => {
    const page = '[docs]: docs/guide.md\n\n<img src="media/a.png" alt="a">\n<a href="../b.md">b</a>\n[nothing]()\n';
    assert.deepEqual(targets(page), ['docs/guide.md', 'media/a.png', '../b.md', '']);
  });

  it('accepts absolute links and https images, catches an image over http', () => {
    const page = '[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) <https://semver.org/> [mail](mailto:a@b.c)\n'
      + '![ok](https://example.com/a.png) ![plain](http://example.com/b.png)\n';
    assert.deepEqual(targets(page), ['http://example.com/b.png']);
  });

  it('accepts an anchor of a heading on the same page and catches one of no heading', () => {
    const page = '## Connect to your portal\n\nSee [connect](#connect-to-your-portal) and [gone](#install).\n';
    assert.deepEqual(targets(page), ['#install']);
  });

  it('reads no link inside code blocks and code spans', () => {
    const page = '```sh\ncurl [x](local.md)\n```\n\nRun `[y](other.md)` then [z](third.md).\n';
    assert.deepEqual(targets(page), ['third.md']);
  });

  it('makes anchors as GitHub does', () => {
    assert.equal(headingAnchor('What you see, and what it means'), 'what-you-see-and-what-it-means');
    assert.equal(headingAnchor('Privacy: what is sent where'), 'privacy-what-is-sent-where');
    assert.equal(headingAnchor('[0.2.0] - 2026-12-05'), '020---2026-12-05');
  });

  it('finds nothing broken in the README and CHANGELOG this repository packages', () => {
    const context: LinkContext = { repository: manifest.repository !== undefined, exists: inRepository };
    for (const page of PACKAGE_PAGES) {
      assert.deepEqual(brokenLinks(fs.readFileSync(path.join(root, page), 'utf8'), context), [], page);
    }
  });
});
