import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/index.js';
import { formatNotYetApplied, notYetApplied } from '../../src/plan/support.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/manifests');
const env = { PLAIN_API_KEY: 'k', ZENDESK_BASIC_AUTH: 'b' };

describe('features the manifest accepts but the Plain target does not apply', () => {
  it('nothing of the Additions example any more: tenants, fields, attachments and label types are carried out', async () => {
    const m = await loadManifest(path.join(FIXTURES, 'additions.yaml'), { env });
    expect(notYetApplied(m)).toEqual([]);
    expect(formatNotYetApplied(m)).toBe('');
  });
  it('and nothing is said for the complete example', async () => {
    const m = await loadManifest(path.join(FIXTURES, 'complete.yaml'), { env });
    expect(notYetApplied(m)).toEqual([]);
    expect(formatNotYetApplied(m)).toBe('');
  });
});
