/**
 * "Did you mean …?": the known names closest to a mistyped one, by edit distance, offered only
 * when the typo is small enough that the suggestion is probably what was meant.
 */

/**
 * The number of single-character insertions, deletions, substitutions and swaps of two
 * neighbours that turn `a` into `b` (the optimal string alignment distance). A swap counts as
 * one, so `stauts` is one step from `status`.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between the first i characters of a and the first j of b.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_row, i) => Array.from({ length: b.length + 1 }, (_cell, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const above = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}

/** How many edits a typo of this length may have and still get a suggestion. */
function allowedEdits(length: number): number {
  return length <= 4 ? 1 : length <= 8 ? 2 : 3;
}

/**
 * The candidates `input` most probably meant, best first (several only when they tie): those
 * within a few edits (fewer for short words), else those it is the start of (`stat` → `status`,
 * `log` → `login`, `logout`). Case is ignored. Empty when nothing is close.
 */
export function closestMatches(input: string, candidates: readonly string[]): string[] {
  const typed = input.toLowerCase();
  if (typed === "") return [];
  const allowed = allowedEdits(typed.length);
  let best: string[] = [];
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance > allowed) continue;
    if (distance < bestDistance) {
      best = [candidate];
      bestDistance = distance;
    } else if (distance === bestDistance && !best.includes(candidate)) {
      best.push(candidate);
    }
  }
  if (best.length > 0) return best;
  // A prefix of two letters says too little to guess from.
  if (typed.length < 3) return [];
  return [...new Set(candidates.filter((candidate) => candidate.toLowerCase().startsWith(typed)))];
}

/** `did you mean \`--json\`?`, or `did you mean \`login\` or \`logout\`?`; `null` for no matches. */
export function didYouMean(matches: readonly string[]): string | null {
  if (matches.length === 0) return null;
  const quoted = matches.map((match) => `\`${match}\``);
  const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)!}`;
  return `did you mean ${list}?`;
}
