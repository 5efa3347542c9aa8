import { useEffect, type RefObject } from 'react';

/**
 * A menu's keyboard and mouse rules while it is open: focus goes to its first button, the
 * arrow keys move between its buttons, Esc closes it, and so does a press outside it (and
 * outside `anchor`, the button that opened it, which toggles it itself).
 */
export function useMenu(menu: RefObject<HTMLElement | null>, onClose: () => void, anchor?: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    menu.current?.querySelector<HTMLElement>('button')?.focus({ preventScroll: true });
    const onDoc = (e: MouseEvent) => {
      const target = e.target as Node;
      if (menu.current && !menu.current.contains(target) && !anchor?.current?.contains(target)) onClose();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const items = [...(menu.current?.querySelectorAll<HTMLElement>('button') ?? [])];
        const i = items.indexOf(document.activeElement as HTMLElement);
        const next = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? i + 1 : i - 1;
        items[(next + items.length) % items.length]?.focus();
        e.preventDefault();
      }
    };
    document.addEventListener('mousedown', onDoc);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDoc);
      document.removeEventListener('keydown', onKey);
    };
  }, [menu, onClose, anchor]);
}
