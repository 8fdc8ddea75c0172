// Where JSON text stops being JSON. Node's JSON.parse reports a position for
// some errors only ("Unexpected token ']', ... is not valid JSON" has none);
// an inventory script's output is read with JSON.parse, and when that fails
// this scanner finds the line, column and what was expected there, so the
// error can point at the place (engine/inventory/script.ts).

export interface JsonSyntaxError {
  /** 0-based offset in the text. */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  col: number;
  reason: string;
}

class Stop extends Error {
  constructor(readonly at: number, readonly reason: string) {
    super(reason);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The first syntax error of `text` as JSON, or undefined when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const what = () => (i >= text.length ? 'the end of the output' : JSON.stringify(text[i]));
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) throw new Stop(i, 'unterminated string');
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') throw new Stop(i, 'control character in a string (write it as an escape such as \\n)');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'bad \\u escape: expected four hex digits');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Stop(i, `bad escape "\\${e ?? ''}"`);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Stop(i, `expected a property name in double quotes, found ${what()}`);
        string();
        ws();
        if (text[i] !== ':') throw new Stop(i, `expected ":" after the property name, found ${what()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        throw new Stop(i, `expected "," or "}" after a property value, found ${what()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        throw new Stop(i, `expected "," or "]" after a list item, found ${what()}`);
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== '-') {
      i += m[0].length;
      return;
    }
    throw new Stop(i, `expected a value (object, list, string, number, true, false or null), found ${what()}`);
  };
  try {
    value();
    ws();
    if (i < text.length) throw new Stop(i, `unexpected ${what()} after the JSON value`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.at);
    const line = before.split('\n').length;
    const col = e.at - (before.lastIndexOf('\n') + 1) + 1;
    return { offset: e.at, line, col, reason: e.reason };
  }
}
