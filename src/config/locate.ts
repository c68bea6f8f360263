import { CST, isAlias, isMap, isScalar, isSeq, Parser, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';

/** A 1-based position in the file. */
export interface Position {
  line: number;
  column: number;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

// Each map's entries by key, built the first time an issue looks inside it: a lookup per issue
// by scanning the map made a file with an error in each of thousands of components quadratic.
const pairIndex = new WeakMap<object, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      // The first entry of a key, as the scan found it (a duplicate key is reported separately).
      if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p as Pair);
    }
    pairIndex.set(map, index);
  }
  return index.get(key);
}

/**
 * Where `path` sits in a parsed YAML (or JSON) document. A missing key points
 * at the nearest enclosing entry that exists, so every issue gets a line.
 * With `atKey`, the key of the last entry is used instead of its value.
 */
export function locatePath(doc: Document, counter: LineCounter, path: readonly PropertyKey[], atKey = false): Position | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    let next: unknown;
    let keyOffset: number | undefined;
    // An alias (`restart: *defaults`) stands for its anchored node; look inside that.
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = pairOf(node, String(segment));
      if (pair) {
        keyOffset = rangeStart(pair.key);
        next = pair.value;
      }
    } else if (isSeq(node)) {
      // A numeric segment is an index; a name finds the item with that value (`depends_on: [db]`).
      next =
        typeof segment === 'number'
          ? node.items[segment]
          : node.items.find((item) => isScalar(item) && String(item.value) === String(segment));
      keyOffset = rangeStart(next);
    }
    if (keyOffset === undefined && next === undefined) break;
    // On the way down remember the entry's key: when a later key is missing, its parent's key is the place to look.
    if (!last) offset = keyOffset ?? rangeStart(next) ?? offset;
    else offset = atKey ? (keyOffset ?? offset) : (rangeStart(next) ?? keyOffset ?? offset);
    node = next;
  }
  if (offset === undefined) return undefined;
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
}

/** Line and column of a character offset. */
export function positionOf(counter: LineCounter, offset: number): Position {
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
}

/**
 * The path of the map entry whose key starts at `offset` (a duplicate key
 * reported by the parser), or null when no key starts there.
 */
export function keyPathAt(doc: Document, offset: number): PropertyKey[] | null {
  const walk = (node: unknown, path: PropertyKey[]): PropertyKey[] | null => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (rangeStart(pair.key) === offset) return [...path, key];
        const found = walk(pair.value, [...path, key]);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const found = walk(node.items[i], [...path, i]);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(doc.contents, []);
}

/**
 * Where the first `[` or `{` that is never closed starts, read from the
 * parser's token tree; undefined when every one is closed. The parser reports
 * an unclosed flow collection where it gave up, which is one past the end of
 * the file when the `[` is on the last line.
 */
export function unclosedFlowStart(text: string): number | undefined {
  let found: number | undefined;
  for (const token of new Parser().parse(text)) {
    if (found !== undefined) break;
    const check = (t: unknown): void => {
      const v = t as { type?: string; start?: { offset: number; type: string }; end?: { type: string }[] } | undefined;
      if (found !== undefined || v?.type !== 'flow-collection' || !v.start) return;
      const closer = v.start.type === 'flow-seq-start' ? 'flow-seq-end' : 'flow-map-end';
      if (!(v.end ?? []).some((e) => e.type === closer)) found = v.start.offset;
    };
    if (token.type !== 'document') continue;
    check(token.value);
    CST.visit(token, (item) => {
      check(item.key);
      check(item.value);
    });
  }
  return found;
}
