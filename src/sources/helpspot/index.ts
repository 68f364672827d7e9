/**
 * HelpSpot as a live source (`kind: helpspot`), over its Web Service API's private methods
 * (`{baseUrl}/api/index.php?method=…&output=json`; facts: ../shared/reference/source-apis.md §6, shapes:
 * source-formats.md §6). Neither Airbyte nor Singer has a HelpSpot connector: records are HelpSpot's own
 * `output=json` shapes with `fRawValues=1`, so a mapping written for HelpSpot's API maps a pull unchanged.
 *   requests         every request changed since the last pull (getChanged, de-duplicated, then
 *                    private.request.get each), without its history; trashed ones with deleted: true,
 *                    spam (xStatus 2) with spam: true; merged and purged ones kept with a note (requests.ts)
 *   request_history  each request's history rows (notes, emails, event-log rows with an empty tNote), with
 *                    xRequest; files under files.file[] with private_url (on the connection's origin:
 *                    fetched with its credentials)
 *   staff            private.util.getAllStaff (an object keyed by xPerson), the whole list every pull
 *   categories       private.request.getCategories (keyed by xCategory), with their reportingTags
 *   statuses         private.request.getStatusTypes: xStatus → sStatus
 * Customers: HelpSpot has no customer endpoint (§6); the customer is on the request (sUserId, sFirstName,
 * sLastName, sEmail, sPhone).
 */
import type { ConnectionDecl } from '../../manifest/types.js';
import type { LiveKind, PullJob, StreamSpec } from '../live/types.js';
import { pullList, pullRequests } from './requests.js';

export const HELPSPOT_STREAMS: Readonly<Record<string, StreamSpec>> = {
  requests: {
    key: 'xRequest',
    deleted: { field: 'deleted', value: 'true' },
    description: 'requests changed since the last pull (private.request.get, fRawValues=1), without their history; trashed ones with deleted: true, spam ones with spam: true; pull_notes when HelpSpot could not give everything',
  },
  request_history: { key: 'xRequestHistory', parent: { stream: 'requests', field: 'xRequest' }, description: "every request's history rows (notes and emails; event-log rows have an empty tNote), with xRequest and files.file[]" },
  staff: { key: 'xPerson', description: 'staff (private.util.getAllStaff), departed ones with fDeleted 1 (the whole list every pull)' },
  categories: { key: 'xCategory', description: 'categories with their reporting tags (the whole list every pull)' },
  statuses: { key: 'xStatus', description: 'status types: xStatus → sStatus (the whole list every pull)' },
};

/** §6 Auth: a personal access token as Bearer, or a staff login (email + password) as Basic. */
export function helpspotAuthHeaders(conn: ConnectionDecl): Record<string, string> {
  const token = conn.auth['token'];
  if (token !== undefined) return { authorization: `Bearer ${token}` };
  return { authorization: `Basic ${Buffer.from(`${conn.auth['email'] ?? ''}:${conn.auth['password'] ?? ''}`).toString('base64')}` };
}

const LISTS: ReadonlyArray<readonly [string, string, string]> = [
  ['staff', 'private.util.getAllStaff', 'person'],
  ['categories', 'private.request.getCategories', 'category'],
  ['statuses', 'private.request.getStatusTypes', 'status'],
];

async function pull(job: PullJob): Promise<void> {
  const conn = job.connection!;
  const wanted = new Set(job.sources.map((s) => s.stream));
  const stream = (name: string) => `${conn.name}.${name}`;
  for (const [name, method, field] of LISTS) {
    if (wanted.has(name)) await pullList(job, stream(name), method, field, HELPSPOT_STREAMS[name]!.key, job.signal);
  }
  // One private.request.get gives a request and its history: both streams are pulled together.
  if (wanted.has('requests') || wanted.has('request_history')) await pullRequests(job, stream('requests'), stream('request_history'), job.signal);
}

export const helpspotKind: LiveKind = {
  kind: 'helpspot',
  usesConnection: true,
  auth: [['token'], ['email', 'password']],
  // §6 Rate limits: none in HelpSpot's API; the installation is the customer's own server, so pace politely
  // (connections.<name>.requestsPerMinute raises it).
  defaultRequestsPerMinute: 120,
  since: true,
  streams: HELPSPOT_STREAMS,
  sourceKeys: [],
  authHeaders: helpspotAuthHeaders,
  pull,
};
