/**
 * $htmlToMarkdown over the HTML corpus (test/fixtures/html-corpus: the quickstart's and the real Zendesk
 * records' bodies, generated bench bodies, and hard cases — tables, nested lists, <pre>, inline images,
 * quoted replies, entities, RTL text, Outlook and layout-table emails, broken HTML), each against the
 * Markdown it gives today (the `.md` beside it).
 *
 * The output is what a message's input hash is made of: any change to it makes a re-plan of every
 * migration already applied list the messages it touches as changed in the source (their text cannot
 * be updated). So a change here is never incidental: a new converter, or a fix such as dropping the
 * text of <style> and <script> (which turndown keeps: see script-style.md), comes with what the plan
 * says about threads already imported (issue 17), and the goldens are rewritten on purpose:
 *   UPDATE_HTML_CORPUS=1 npx vitest run test/mapping/html-corpus.test.ts
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { htmlToMarkdown } from '../../src/mapping/convert.js';

const DIR = join(import.meta.dirname, '../fixtures/html-corpus');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.html'))
  .sort();

describe('$htmlToMarkdown over the HTML corpus', () => {
  it('has the corpus', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(FILES)('%s gives the Markdown it gave when the state was recorded', (file) => {
    const md = `${htmlToMarkdown(readFileSync(join(DIR, file), 'utf8'))}\n`;
    const golden = join(DIR, file.replace(/\.html$/, '.md'));
    if (process.env.UPDATE_HTML_CORPUS === '1') writeFileSync(golden, md);
    expect(md).toBe(readFileSync(golden, 'utf8'));
  });
});
