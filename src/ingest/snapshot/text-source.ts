/**
 * Node files read into TextSources (text + sha256 digest) for a snapshot load.
 *
 * Guarantees: the text is what `readFileSync(file, 'utf8')` gives (U+FFFD for bytes that are
 * not UTF-8); the digest is the sha256 of the text's UTF-8 form; read errors are Node's own, as
 * readFileSync throws them.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { TextSource } from '../../model/source.js';

/**
 * A reader of TextSources that reads every file into one scratch buffer, grown to the largest
 * file: a load reads dozens of distinct megabyte dumps, and a fresh buffer for each (what
 * readFileSync allocates) costs new pages from the kernel and counts as external memory, which
 * makes V8 collect garbage early. The bytes are copied into the text, so the buffer is reused.
 */
export function textSourceReader(): (file: string) => TextSource {
  let scratch: Buffer = Buffer.allocUnsafeSlow(64 * 1024);
  const readBytes = (file: string): Buffer => {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      // One byte more than the size: a read that fills it means the file grew (or reports no size, as /proc does).
      if (scratch.length < size + 1) scratch = Buffer.allocUnsafeSlow(size + 1);
      let length = 0;
      for (;;) {
        if (length === scratch.length) scratch = grown(scratch, length);
        const n = readSync(fd, scratch, length, scratch.length - length, null);
        if (n === 0) break;
        length += n;
      }
      return scratch.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  };
  return (file) => textSourceOf(readBytes(file), file);
}

function grown(buffer: Buffer, used: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(buffer.length * 2);
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}

/** One file read with a reader of its own (tests; a load shares one reader). */
export function readTextSource(file: string): TextSource {
  return textSourceReader()(file);
}

/**
 * The text of `bytes` (as UTF-8) with the sha256 digest of its UTF-8 form: nodes with equal dumps
 * are recognised without comparing megabytes. The bytes are hashed as they are when they are valid
 * UTF-8 (then they are the text's encoding); otherwise the decoded text (U+FFFD in place of bad
 * bytes) is. Bytes that are all ASCII are the same characters in UTF-8 and Latin-1, and Latin-1
 * decodes several times faster (a plain copy).
 */
function textSourceOf(bytes: Buffer, file: string): TextSource {
  const ascii = isAscii(bytes);
  const text = ascii ? bytes.toString('latin1') : bytes.toString('utf8');
  const digest = createHash('sha256').update(ascii || isUtf8(bytes) ? bytes : text).digest('hex');
  return { text, file, firstLine: 1, digest };
}
