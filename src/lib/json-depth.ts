/**
 * True when the JSON text `text` nests arrays and objects more than `limit` levels deep
 * (brackets inside strings do not count). A linear scan, without parsing: text that nests
 * too deep can then be kept as text rather than parsed into a value no writer can follow.
 */
export function jsonNestsDeeper(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
