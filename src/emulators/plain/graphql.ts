/**
 * The GraphQL layer: Plain's published schema, a bounded cache of parsed and validated documents,
 * and execution against the emulator's resolvers. Produces an HTTP status and a JSON body.
 */
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  executeSync,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type GraphQLTypeResolver,
} from 'graphql';
import { rootResolvers, type EmulatorContext } from './resolvers.js';

const SCHEMA_URL = new URL('../../../schemas/plain.graphql', import.meta.url);
const CACHE_LIMIT = 500;

let schema: GraphQLSchema | undefined;

/** Plain's schema, built once per process. */
export function plainSchema(): GraphQLSchema {
  schema ??= buildSchema(readFileSync(SCHEMA_URL, 'utf8'));
  return schema;
}

export type PreparedDocument =
  | { readonly kind: 'ok'; readonly document: DocumentNode; readonly rootFields: readonly string[] }
  | { readonly kind: 'parse-failed'; readonly errors: readonly GraphQLFormattedError[] }
  | { readonly kind: 'invalid'; readonly errors: readonly GraphQLFormattedError[]; readonly rootFields: readonly string[] };

const cache = new Map<string, PreparedDocument>();

/** Root field names of the first operation in the document. */
function firstOperationRootFields(document: DocumentNode): string[] {
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!op || op.kind !== Kind.OPERATION_DEFINITION) return [];
  return op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
}

/** Parses and validates `query` against Plain's schema, cached by the query text. */
export function prepare(query: string): PreparedDocument {
  const hit = cache.get(query);
  if (hit) return hit;
  let prepared: PreparedDocument;
  try {
    const document = parse(query);
    const rootFields = firstOperationRootFields(document);
    const errors = validate(plainSchema(), document);
    prepared = errors.length > 0 ? { kind: 'invalid', errors: errors.map(withCode('GRAPHQL_VALIDATION_FAILED')), rootFields } : { kind: 'ok', document, rootFields };
  } catch (e) {
    if (!(e instanceof GraphQLError)) throw e;
    prepared = { kind: 'parse-failed', errors: [withCode('GRAPHQL_PARSE_FAILED')(e)] };
  }
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(query, prepared);
  return prepared;
}

function withCode(code: string): (e: GraphQLError) => GraphQLFormattedError {
  return (e) => {
    const f = e.toJSON();
    return { ...f, extensions: { ...f.extensions, code: (f.extensions?.code as string | undefined) ?? code } };
  };
}

export function errorBody(message: string, code: string): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message, extensions: { code } }] };
}

function notImplemented(what: string): GraphQLError {
  return new GraphQLError(`${what} is not implemented by the emulator`, { extensions: { code: 'NOT_IMPLEMENTED' } });
}

type Thunk = (args: Record<string, unknown>) => unknown;

const fieldResolver: GraphQLFieldResolver<unknown, EmulatorContext> = (source, args, ctx, info) => {
  const parent = info.parentType.name;
  if (parent === 'Query' || parent === 'Mutation') {
    const resolver = rootResolvers[parent][info.fieldName];
    if (!resolver) throw notImplemented(`${parent}.${info.fieldName}`);
    return resolver(args, ctx);
  }
  if (typeof source !== 'object' || source === null) throw notImplemented(`${parent}.${info.fieldName}`);
  const value: unknown = (source as Record<string, unknown>)[info.fieldName];
  if (value === undefined) throw notImplemented(`${parent}.${info.fieldName}`);
  return typeof value === 'function' ? (value as Thunk)(args) : value;
};

const typeResolver: GraphQLTypeResolver<unknown, EmulatorContext> = (value) => {
  if (typeof value === 'object' && value !== null && '__typename' in value) {
    const name = (value as { __typename: unknown }).__typename;
    if (typeof name === 'string') return name;
  }
  return undefined;
};

export interface GraphQLRequestBody {
  query: string;
  variables: Record<string, unknown> | null;
  operationName: string | null;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** Executes an already-prepared ('ok') document. */
export function executeRequest(document: DocumentNode, req: GraphQLRequestBody, ctx: EmulatorContext): HttpAnswer {
  const s = plainSchema();
  const operation = getOperationAST(document, req.operationName ?? undefined);
  if (!operation) {
    const message =
      req.operationName != null ? `Unknown operation named "${req.operationName}".` : 'Must provide operation name if query contains multiple operations.';
    return { status: 400, body: errorBody(message, 'OPERATION_RESOLUTION_FAILURE') };
  }
  if (operation.operation === 'subscription') {
    return { status: 400, body: errorBody('Subscriptions are not supported over HTTP POST', 'BAD_REQUEST') };
  }
  const result = executeSync({
    schema: s,
    document,
    operationName: req.operationName ?? undefined,
    variableValues: req.variables ?? {},
    rootValue: {},
    contextValue: ctx,
    fieldResolver,
    typeResolver,
  });
  // Variable coercion failures come back without a data key (execution never started): HTTP 400.
  if (!('data' in result) && result.errors) return { status: 400, body: { errors: result.errors.map(withCode('BAD_USER_INPUT')) } };
  const body: { errors?: GraphQLFormattedError[]; data?: unknown } = {};
  if (result.errors && result.errors.length > 0) body.errors = result.errors.map(withCode('INTERNAL_SERVER_ERROR'));
  body.data = result.data ?? null;
  return { status: 200, body };
}
