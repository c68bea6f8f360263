/**
 * Edit distance with adjacent transpositions (optimal string alignment), so
 * `restrat` is one edit from `restart`, as a typo feels. Gives up (returns
 * limit + 1) as soon as the distance must exceed `limit`: a file with an
 * unknown name in each of thousands of components compares every one with
 * every known name, so each comparison has to be cheap.
 */
// Three rows (two back, for transpositions), reused by every comparison.
let rows = [new Uint32Array(64), new Uint32Array(64), new Uint32Array(64)] as const;

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const width = b.length + 1;
  if (rows[0].length < width) rows = [new Uint32Array(width * 2), new Uint32Array(width * 2), new Uint32Array(width * 2)];
  let [before, prev, row] = rows;
  for (let j = 0; j < width; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      row[j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > limit) return limit + 1;
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `word`, when it is close enough to be a likely
 * typo; else undefined. Close is relative to the length: a name of one or two
 * letters is only matched when it differs by case (`c` is one edit from every
 * other one-letter name), up to five letters one edit, longer ones two.
 */
export function suggestName(word: string, known: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = lower.length <= 2 ? 0 : lower.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const distance = other === lower ? 0 : editDistance(lower, other, Math.min(limit, bestDistance - 1));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const guess = suggestName(word, known);
  return guess === undefined ? '' : ` (did you mean "${guess}"?)`;
}
