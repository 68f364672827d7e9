/**
 * Starter manifests for `plain-migrate init --from <helpdesk> [--target plain|therethere]`: commented
 * YAML a support-ops engineer edits rather than writes, one per helpdesk export shape (see
 * /work/shared/reference/source-formats.md) and target (Plain, or There There: MANIFEST.md's
 * "There There target").
 */
import { DEFAULT_MANIFEST_FILE } from '../manifest/index.js';
import { INIT_TARGETS, type InitTarget } from './templates/common.js';
import { csv } from './templates/csv.js';
import { freshdesk } from './templates/freshdesk.js';
import { front } from './templates/front.js';
import { helpscout } from './templates/helpscout.js';
import { helpspot } from './templates/helpspot.js';
import { intercom } from './templates/intercom.js';
import { zendesk } from './templates/zendesk.js';

export const INIT_SOURCES = ['zendesk', 'freshdesk', 'helpscout', 'intercom', 'front', 'helpspot', 'csv'] as const;
export type InitSource = (typeof INIT_SOURCES)[number];
export { INIT_TARGETS, type InitTarget };

const TEMPLATES: Readonly<Record<InitSource, (target: InitTarget) => string>> = { zendesk, freshdesk, helpscout, intercom, front, helpspot, csv };
/** Helpdesks whose starter can pull from the API (`init --from X --api`) instead of reading an export. */
export const INIT_API_SOURCES = ['zendesk', 'freshdesk', 'helpscout', 'front', 'intercom', 'helpspot'] as const;
const API_TEMPLATES: Readonly<Record<string, (target: InitTarget) => string>> = { zendesk: (t) => zendesk(t, { api: true }), freshdesk: (t) => freshdesk(t, { api: true }), helpscout: (t) => helpscout(t, { api: true }), front: (t) => front(t, { api: true }), intercom: (t) => intercom(t, { api: true }), helpspot: (t) => helpspot(t, { api: true }) };

export function isInitSource(v: string): v is InitSource {
  return (INIT_SOURCES as readonly string[]).includes(v);
}

export function isInitTarget(v: string): v is InitTarget {
  return (INIT_TARGETS as readonly string[]).includes(v);
}

/** The starter manifest for `from` and `target` (default plain), as YAML text (first line: the yaml-language-server schema comment). */
export function starterManifest(from: InitSource, target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  if (opts.api) {
    const api = API_TEMPLATES[from];
    if (!api) throw new RangeError(`no API starter manifest for "${String(from)}"; one of: ${INIT_API_SOURCES.join(', ')}`);
    if (!isInitTarget(target)) throw new RangeError(`no starter manifest for the target "${String(target)}"; one of: ${INIT_TARGETS.join(', ')}`);
    return api(target);
  }
  const make = TEMPLATES[from];
  if (!make) throw new RangeError(`no starter manifest for "${String(from)}"; one of: ${INIT_SOURCES.join(', ')}`);
  if (!isInitTarget(target)) throw new RangeError(`no starter manifest for the target "${String(target)}"; one of: ${INIT_TARGETS.join(', ')}`);
  return make(target);
}

/** Where `init` writes the manifest by default (the file the other commands read by default). */
export function defaultInitFile(): string {
  return DEFAULT_MANIFEST_FILE;
}
