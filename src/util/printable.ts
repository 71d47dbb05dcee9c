// Untrusted text (a token from an input file, a file name, a config key) is escaped before it
// goes into a message: printed raw, an escape sequence could recolour, retitle or clear the user's
// terminal, or forge further output lines.

// C0 controls and DEL, C1 controls, line/paragraph separators, bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex
const NON_PRINTING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** `text` with every non-printing character written as a \xNN or \uNNNN escape. */
export function printable(text: string): string {
  return text.replace(NON_PRINTING, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
