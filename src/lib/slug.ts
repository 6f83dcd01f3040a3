/**
 * Lower-cases and keeps `[a-z0-9._-]`, turning every other run of characters into one `-`
 * (CONVENTIONS.md §4). Leading and trailing dashes are trimmed; an empty result is ''.
 */
export function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
