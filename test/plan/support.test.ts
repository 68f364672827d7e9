import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/index.js';
import { formatNotYetApplied, notYetApplied } from '../../src/plan/support.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/manifests');
const env = { PLAIN_API_KEY: 'k', ZENDESK_BASIC_AUTH: 'b' };

describe('features the manifest accepts but this version does not apply', () => {
  it('are named for the Additions example', async () => {
    const m = await loadManifest(path.join(FIXTURES, 'additions.yaml'), { env });
    const list = notYetApplied(m).join('\n');
    expect(list).toMatch(/threads\.tenant/);
    expect(list).toMatch(/threads\.fields/);
    expect(list).toMatch(/attachments/);
    expect(formatNotYetApplied(m)).toMatch(/^Warning: /);
  });
  it('and nothing is said for the complete example', async () => {
    const m = await loadManifest(path.join(FIXTURES, 'complete.yaml'), { env });
    expect(notYetApplied(m)).toEqual([]);
    expect(formatNotYetApplied(m)).toBe('');
  });
});
