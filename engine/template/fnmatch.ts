// Python's fnmatch.fnmatch on POSIX (case-sensitive): `*` any run of characters
// (slashes too), `?` one character, `[seq]`, `[!seq]`; a `[` without its `]` is
// literal. The one glob matcher: find's patterns and excludes, setup's filter,
// the fileglob lookup (which keeps its own rule for hidden files).

function escapeRe(s: string): string {
  // Not `-`: outside a class it needs no escape, and the `u` flag refuses `\-` there.
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** The regular expression source (anchored) for one fnmatch pattern. */
export function fnmatchSource(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i++];
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i, j);
      i = j + 1;
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      // Ranges stay ranges; every other character is literal inside the class.
      const cls = body.replace(/[\\\]^[]/g, '\\$&');
      out += negate ? `[^${cls}]` : `[${cls}]`;
    } else out += escapeRe(c);
  }
  return `^(?:${out})$`;
}

export function fnmatch(name: string, pattern: string): boolean {
  return new RegExp(fnmatchSource(pattern), 'u').test(name);
}
