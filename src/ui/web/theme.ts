/** Light, dark, or whatever the system prefers; kept in localStorage across visits. */
export type ThemeChoice = 'auto' | 'light' | 'dark';

const KEY = 'paracle.theme';
const CHANGE = 'paracle:theme';
const DARK = '(prefers-color-scheme: dark)';

/** The saved choice (auto when none). */
export function themeChoice(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'auto';
  } catch {
    return 'auto';
  }
}

/** Saves a choice and applies it. */
export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'auto') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Private windows may refuse storage: the choice lasts for this page.
  }
  applyTheme();
}

/** Sets `<html data-theme>` (light or dark) from the saved choice, or the system's preference on auto. */
export function applyTheme(): void {
  const choice = themeChoice();
  const dark = choice === 'dark' || (choice === 'auto' && window.matchMedia(DARK).matches);
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
  window.dispatchEvent(new Event(CHANGE));
}

/** Follows the system's light/dark switch while the choice is auto. */
export function followSystemTheme(): void {
  window.matchMedia(DARK).addEventListener('change', applyTheme);
}

/** Calls `listener` when the colours in effect change. */
export function onThemeChange(listener: () => void): () => void {
  window.addEventListener(CHANGE, listener);
  return () => window.removeEventListener(CHANGE, listener);
}

/** A CSS custom property of the page as it is now (colours for canvas drawing). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
