// The one place file contents are measured: writes send their size and SHA-256
// to the host (the write script refuses a temp file that differs), and a plan
// records the hash of the content it was made against (compare-and-swap).
// A string is taken as UTF-8; size and hash are always over the bytes.

import { createHash } from 'node:crypto';

/** The bytes of a content: a Buffer as is, a string as UTF-8. */
export function contentBytes(content: string | Buffer): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/** Lower-case hex SHA-256 of the content's bytes (what `sha256sum` prints). */
export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(contentBytes(content)).digest('hex');
}
