/** Light and dark themes: follows the system unless the user picks one (kept in localStorage). */
import { Store, useStore } from './store';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'hybrid.theme';

function load(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    if (v === 'light' || v === 'dark') return v;
  } catch {
    // ignore
  }
  return 'system';
}

export const theme = new Store<ThemeChoice>(load());

export function applyTheme(choice: ThemeChoice = theme.get()): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

export function setTheme(choice: ThemeChoice): void {
  theme.set(choice);
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // ignore
  }
  applyTheme(choice);
}

export function useTheme(): ThemeChoice {
  return useStore(theme);
}
