/** The live source kinds: the one place that names them (as targets/registry.ts does for targets). */
import type { LiveKindCatalog } from '../../manifest/types.js';
import { commandKind } from '../command/index.js';
import { freshdeskKind } from '../freshdesk/index.js';
import { frontKind } from '../front/index.js';
import { helpscoutKind } from '../helpscout/index.js';
import { helpspotKind } from '../helpspot/index.js';
import { httpKind } from '../http-api/index.js';
import { intercomKind } from '../intercom/index.js';
import { zendeskKind } from '../zendesk/index.js';
import type { LiveKind } from './types.js';

const KINDS: readonly LiveKind[] = [zendeskKind, freshdeskKind, helpscoutKind, helpspotKind, frontKind, intercomKind, httpKind, commandKind];

export function liveKind(kind: string): LiveKind | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** For loadManifest: what it needs to check connections and live sources. */
export const liveKinds: LiveKindCatalog = {
  get: (kind) => {
    const k = liveKind(kind);
    if (!k) return undefined;
    return {
      kind: k.kind,
      usesConnection: k.usesConnection,
      auth: k.auth,
      ...(k.since ? { since: true } : {}),
      ...(k.streams ? { streamNames: Object.keys(k.streams) } : {}),
      sourceKeys: k.sourceKeys,
      ...(k.requiredSourceKeys ? { requiredSourceKeys: k.requiredSourceKeys } : {}),
      ...(k.checkSource ? { checkSource: k.checkSource.bind(k) } : {}),
    };
  },
  names: () => KINDS.map((k) => k.kind),
};
