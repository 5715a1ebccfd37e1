/** @jsxImportSource preact */
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { DotsIcon } from './icons';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  /** Disabled items stay focusable and say why (the hint), as the ARIA menu pattern suggests. */
  disabled?: boolean;
  hint?: string;
  danger?: boolean;
}

/**
 * The three-dot menu ("More actions") of the ARIA menu-button pattern: Enter, Space or
 * ArrowDown opens it on the first item, arrows/Home/End move, Escape closes and returns
 * focus, Tab or a click elsewhere closes it. Fixed-positioned so that a scrolling table
 * does not clip it.
 */
export function ActionsMenu({ items, label = 'More actions', describedBy }: { items: MenuItem[]; label?: string; describedBy?: string }) {
  const [open, setOpen] = useState(false);
  const [position, setPosition] = useState<{ top: number; right: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);
  const focusIndex = useRef(0);
  const id = useId();

  const itemButtons = () => Array.from(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? []);
  const focusItem = (index: number) => {
    const all = itemButtons();
    if (all.length === 0) return;
    const i = (index + all.length) % all.length;
    focusIndex.current = i;
    all[i]?.focus();
  };
  const close = (returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) button.current?.focus();
  };
  const openAt = (index: number) => {
    const rect = button.current?.getBoundingClientRect();
    if (rect) setPosition({ top: rect.bottom + 4, right: Math.max(8, window.innerWidth - rect.right) });
    focusIndex.current = index;
    setOpen(true);
  };

  useLayoutEffect(() => {
    if (open) focusItem(focusIndex.current < 0 ? itemButtons().length - 1 : focusIndex.current);
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: Event) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) close(false);
    };
    const onMove = () => close(false);
    document.addEventListener('mousedown', onPointer);
    window.addEventListener('resize', onMove);
    window.addEventListener('scroll', onMove, true);
    return () => {
      document.removeEventListener('mousedown', onPointer);
      window.removeEventListener('resize', onMove);
      window.removeEventListener('scroll', onMove, true);
    };
  }, [open]);

  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      openAt(0);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(-1);
    }
  };

  const onMenuKey = (event: KeyboardEvent) => {
    const all = itemButtons();
    const current = all.indexOf(document.activeElement as HTMLButtonElement);
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        focusItem(current + 1);
        break;
      case 'ArrowUp':
        event.preventDefault();
        focusItem(current - 1);
        break;
      case 'Home':
        event.preventDefault();
        focusItem(0);
        break;
      case 'End':
        event.preventDefault();
        focusItem(all.length - 1);
        break;
      case 'Escape':
        event.preventDefault();
        close(true);
        break;
      case 'Tab':
        close(false);
        break;
    }
  };

  return (
    <div class="menu">
      <button
        ref={button}
        type="button"
        class="btn btn-icon"
        aria-label={label}
        aria-describedby={describedBy}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        onClick={() => (open ? close(false) : openAt(0))}
        onKeyDown={onButtonKey}
      >
        <DotsIcon />
      </button>
      {open && (
        <ul
          ref={menu}
          id={`${id}-menu`}
          class="menu-list"
          role="menu"
          aria-label={label}
          style={position ? { top: `${position.top}px`, right: `${position.right}px` } : undefined}
          onKeyDown={onMenuKey}
        >
          {items.map((item, index) => (
            <li role="none" key={item.label}>
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                aria-label={item.label}
                aria-describedby={item.hint ? `${id}-hint-${index}` : undefined}
                class={`menu-item${item.danger ? ' menu-item-danger' : ''}`}
                aria-disabled={item.disabled ? 'true' : undefined}
                onClick={() => {
                  if (item.disabled) return;
                  close(true);
                  item.onSelect();
                }}
              >
                <span>{item.label}</span>
                {item.hint && (
                  <span class="menu-hint" id={`${id}-hint-${index}`}>
                    {item.hint}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
