/**
 * Defence in depth for secrets held by the manifest (apiKey, token, attachment fetch headers): the
 * objects carry non-enumerable `toJSON` and `util.inspect` hooks that print `[redacted]`, so that an
 * accidental `JSON.stringify(manifest)` or `console.log(manifest)` never shows them. Reading the
 * property itself still gives the value.
 */
export const REDACTED = '[redacted]';
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Adds the hooks to `obj`, replacing the values of `keys` (or every value, for `'*'`) when shown. */
export function redactWhenShown<T extends object>(obj: T, keys: readonly (keyof T)[] | '*'): T {
  const shown = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      out[k] = keys === '*' || (keys as readonly PropertyKey[]).includes(k) ? REDACTED : v;
    }
    return out;
  };
  Object.defineProperty(obj, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(obj, INSPECT, { value: shown, enumerable: false });
  return obj;
}
