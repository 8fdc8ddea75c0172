// Text held as bytes (issue 8: bytes stay bytes). A file is edited as a "byte
// string": one JavaScript char per byte (latin1 decoding maps every byte value
// 0-255 to the char with that code, and back, exactly). String code (line
// splitting, RegExp) then works on bytes, and every byte an edit does not touch
// is written back as it was: nothing is ever decoded and re-encoded.
//
// What the user writes (line, regexp, section, value...) is UTF-8 text; it goes
// into a byte string as its UTF-8 bytes, which is what Ansible's lineinfile does
// (to_bytes on the arguments, Python `re` on the file's bytes).

/** The byte string of some bytes. */
export function byteString(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** The bytes of a byte string (every char is below 256 by construction). */
export function fromByteString(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** A user's text as the byte string of its UTF-8 encoding. */
export function utf8ByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A byte string as text for messages: UTF-8, an invalid sequence shows as U+FFFD. */
export function displayText(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Offset of the first NUL byte, or -1. A NUL byte is Ansible's test for binary content. */
export function binaryOffset(bytes: Buffer): number {
  return bytes.indexOf(0);
}

export function isBinary(bytes: Buffer): boolean {
  return binaryOffset(bytes) !== -1;
}
