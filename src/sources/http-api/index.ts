/**
 * Any paginated JSON API as a live source (`kind: http`). The connection gives the base URL and the headers
 * that authenticate (connections.<name>.headers); each source gives its first request, where the records
 * are in a page, how to reach the next page, its incremental cursor and its records' id. Each source is
 * its own stream (`<connection>.<source>` in the snapshot). See README.md in this folder.
 */
import type { ConnectionDecl, LiveSourceDecl } from '../../manifest/types.js';
import type { AdapterProblem, LiveKind, PullJob } from '../live/types.js';
import { unknownPlaceholders } from './paging.js';
import { pullHttpSource } from './pull.js';

export { readHttpState, type HttpStreamState } from './pull.js';

function checkSource(decl: LiveSourceDecl): AdapterProblem[] {
  const problems: AdapterProblem[] = [];
  const req = decl.options['request'];
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    problems.push({ message: `sources.${decl.name}.request must be a mapping with path (and query)`, path: ['request'], hint: 'e.g. request: { path: /tickets, query: { updated_since: "{{cursor}}" } }' });
    return problems;
  }
  const r = req as Record<string, unknown>;
  if (typeof r['path'] !== 'string' || r['path'] === '') {
    problems.push({ message: `sources.${decl.name}.request.path must be a path such as /tickets`, path: ['request', 'path'] });
  } else if (unknownPlaceholders(r['path']).length > 0) {
    problems.push({
      message: `sources.${decl.name}.request.path holds ${unknownPlaceholders(r['path']).map((n) => `{{${n}}}`).join(', ')}; the path is taken as written`,
      path: ['request', 'path'],
      hint: 'only query values may hold {{cursor}}',
    });
  }
  const query = r['query'];
  if (typeof query === 'object' && query !== null) {
    for (const [k, v] of Object.entries(query)) {
      const unknown = typeof v === 'string' ? unknownPlaceholders(v) : [];
      if (unknown.length > 0) {
        problems.push({
          message: `sources.${decl.name}.request.query.${k} holds ${unknown.map((n) => `{{${n}}}`).join(', ')}: only {{cursor}} is replaced`,
          path: ['request', 'query', k],
          hint: '{{cursor}} is the largest cursor: value of the last pull (empty on the first); values from the environment are written ${NAME}',
        });
      }
    }
  }
  return problems;
}

async function pull(job: PullJob): Promise<void> {
  const http = job.http;
  if (!http) throw new Error('an http source is pulled with its connection\u2019s client');
  for (const decl of job.sources) {
    job.signal.throwIfAborted();
    await pullHttpSource(job, http, decl);
  }
}

export const httpKind: LiveKind = {
  kind: 'http',
  usesConnection: true,
  auth: [],
  defaultRequestsPerMinute: 60,
  sourceKeys: ['request', 'records', 'next', 'cursor', 'id'],
  requiredSourceKeys: ['request'],
  checkSource,
  authHeaders: (conn: ConnectionDecl) => ({ ...conn.headers }),
  pull,
};
