/**
 * Neutralises terminal control characters in text that reaches a terminal.
 *
 * Names, tags, comments and rule text come from inputs (snapshots, estates,
 * dumps); printed raw, an ESC or a C1 control in them would let an input set
 * the window title, change colours or hide text (terminal escape injection,
 * the class of kubectl's CVE-2021-25743). Every such character is shown
 * visibly as `\xNN` (or `\u{NNNN}` for bidirectional overrides, which can
 * reorder what is read). Newline and tab are kept: they shape the layout.
 *
 * Guarantees: the output holds no C0 control other than `\n` and `\t`, no DEL,
 * no C1 control and no bidi override; text without them is returned unchanged.
 */

// C0 controls except \t (0x09) and \n (0x0a), DEL, C1 controls, bidi embeddings/overrides/isolates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** The text with every terminal control character written out visibly. */
export function neutraliseControls(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
