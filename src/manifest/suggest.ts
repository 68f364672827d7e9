/** "Did you mean …?" by edit distance. */
import { distance } from 'fastest-levenshtein';

/** The candidate nearest to `word`, when it is near enough to be a plausible typo. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.ceil(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean 'x'?`, or a list of what exists, or '' when there is nothing to offer. */
export function suggestion(word: string, candidates: readonly string[], noun = 'valid keys'): string {
  const near = nearest(word, candidates);
  if (near !== undefined) return `; did you mean '${near}'?`;
  if (candidates.length === 0) return '';
  return `; ${noun}: ${candidates.join(', ')}`;
}
