/**
 * A parser for the Python literals in .npy headers: dicts, tuples, lists, strings, integers (with
 * Python 2's trailing `L`), True, False and None. Nothing is evaluated.
 *
 * @module
 */

/**
 * Parses a Python literal.
 *
 * @param text the literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
 * @returns dict → Map, tuple/list → array, str → string, int → number, True/False → boolean, None → null
 * @throws {SyntaxError} naming the offending position when the text is not such a literal
 */
export function parsePythonLiteral(text: string): unknown {
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at character ${pos}`);
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const sequence = (close: string): unknown[] => {
    const items: unknown[] = [];
    for (skip(); text[pos] !== close; skip()) {
      items.push(value());
      skip();
      if (text[pos] === ",") pos++;
      else if (text[pos] !== close) fail(`expected "," or "${close}"`);
    }
    pos++;
    return items;
  };
  const value = (): unknown => {
    skip();
    const c = text[pos];
    if (c === "{") {
      pos++;
      const map = new Map<unknown, unknown>();
      for (skip(); text[pos] !== "}"; skip()) {
        const key = value();
        skip();
        if (text[pos++] !== ":") fail('expected ":"');
        map.set(key, value());
        skip();
        if (text[pos] === ",") pos++;
        else if (text[pos] !== "}") fail('expected "," or "}"');
      }
      pos++;
      return map;
    }
    if (c === "(" || c === "[") {
      pos++;
      return sequence(c === "(" ? ")" : "]");
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, pos + 1);
      if (end < 0) fail("unterminated string");
      const s = text.slice(pos + 1, end);
      if (s.includes("\\")) fail("escapes in strings are not supported");
      pos = end + 1;
      return s;
    }
    const word = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(pos));
    if (!word) return fail("expected a value");
    pos += word[0].length;
    if (word[1] !== undefined) return Number(word[1]);
    return word[2] === "True" ? true : word[2] === "False" ? false : null;
  };
  const result = value();
  skip();
  if (pos !== text.length) fail("unexpected text after the literal");
  return result;
}
