/** `target:` — Plain or There There, and the rule that secrets come from the environment. */
import { has, isObj, problem, str, bool, type BuildContext } from './context.js';
import { isLoopbackUrl } from './loopback.js';
import { redactWhenShown } from './redact.js';
import type { PlainTargetDecl, TargetDecl, TherethereTargetDecl } from './types.js';

export const DEFAULT_PLAIN_ENDPOINT = 'https://core-api.uk.plain.com/graphql/v1';
export const DEFAULT_THERETHERE_BASE_URL = 'https://there-there.app';

/** A secret "is literal" when its scalar held no ${…} (an escaped $${ alone is still literal). */
function isLiteral(ctx: BuildContext, path: readonly string[]): boolean {
  return !(ctx.nodes.get(path)?.interpolated ?? false);
}

function refuseLiteral(ctx: BuildContext, path: readonly string[], key: string, variable: string, endpointKey: string): void {
  // The message names the key and the variable to use, never the value.
  problem(ctx, 'manifest.literal-secret', `${key} is written literally; read it from the environment: ${key}: \${${variable}}`, path, {
    hint: `secrets come from the environment only; a literal ${key} is accepted only when ${endpointKey} is a loopback address (an emulator)`,
  });
}

/** A URL with a user name or password in it: refused, without repeating it (the secret belongs in the token, from the environment). */
function refuseCredentials(ctx: BuildContext, url: string, path: readonly string[], secretKey: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return; // the schema reports a URL that is not one
  }
  if (u.username === '' && u.password === '') return;
  problem(ctx, 'manifest.url-credentials', `${path[path.length - 1]} carries a user name or password`, path, {
    hint: `give the address alone (scheme, host, port, path); the credential goes in ${secretKey}, read from the environment`,
  });
}

function plainTarget(ctx: BuildContext, v: unknown): PlainTargetDecl | undefined {
  if (!isObj(v)) return undefined;
  const apiKey = str(v, 'apiKey');
  const endpoint = has(v, 'endpoint') ? str(v, 'endpoint') : DEFAULT_PLAIN_ENDPOINT;
  const createMissingLabelTypes = has(v, 'createMissingLabelTypes') ? bool(v, 'createMissingLabelTypes') : false;
  if (apiKey === undefined || endpoint === undefined || createMissingLabelTypes === undefined) return undefined;
  const path = ['target', 'plain', 'apiKey'];
  const apiKeyIsLiteral = isLiteral(ctx, path);
  // An empty endpoint is one whose ${VAR} failed (already reported): no verdict on it.
  if (apiKeyIsLiteral && endpoint !== '' && !isLoopbackUrl(endpoint)) refuseLiteral(ctx, path, 'apiKey', 'PLAIN_API_KEY', 'endpoint');
  refuseCredentials(ctx, endpoint, ['target', 'plain', 'endpoint'], 'target.plain.apiKey');
  const decl: PlainTargetDecl = { kind: 'plain', apiKey, endpoint, apiKeyIsLiteral, createMissingLabelTypes };
  return redactWhenShown(decl, ['apiKey']);
}

function thereThereTarget(ctx: BuildContext, v: unknown): TherethereTargetDecl | undefined {
  if (!isObj(v)) return undefined;
  const token = str(v, 'token');
  const channel = str(v, 'channel');
  const baseUrl = has(v, 'baseUrl') ? str(v, 'baseUrl') : DEFAULT_THERETHERE_BASE_URL;
  const workspaceId = str(v, 'workspaceId');
  const appendAs = has(v, 'appendAs') ? str(v, 'appendAs') : 'skip';
  if (token === undefined || channel === undefined || baseUrl === undefined) return undefined;
  if (appendAs !== 'skip' && appendAs !== 'note') return undefined;
  const path = ['target', 'therethere', 'token'];
  const tokenIsLiteral = isLiteral(ctx, path);
  if (tokenIsLiteral && baseUrl !== '' && !isLoopbackUrl(baseUrl)) refuseLiteral(ctx, path, 'token', 'THERETHERE_TOKEN', 'baseUrl');
  refuseCredentials(ctx, baseUrl, ['target', 'therethere', 'baseUrl'], 'target.therethere.token');
  const decl: TherethereTargetDecl = {
    kind: 'therethere',
    token,
    tokenIsLiteral,
    channel,
    baseUrl,
    ...(workspaceId !== undefined ? { workspaceId } : {}),
    appendAs,
  };
  return redactWhenShown(decl, ['token']);
}

/** The one target (the schema reports zero or two). */
export function buildTarget(ctx: BuildContext, v: unknown): TargetDecl | undefined {
  if (!isObj(v)) return undefined;
  const plain = has(v, 'plain') ? plainTarget(ctx, v['plain']) : undefined;
  const therethere = has(v, 'therethere') ? thereThereTarget(ctx, v['therethere']) : undefined;
  if (plain && therethere) return undefined;
  return plain ?? therethere;
}
