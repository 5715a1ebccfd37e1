/** @jsxImportSource preact */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * A modal confirmation on the native <dialog>: focus moves into it and is kept there,
 * Escape cancels, and focus returns to what opened it when it closes.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  pending?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const id = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement;
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    } else if (!props.open && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
      (opener.current as HTMLElement | null)?.focus?.();
    }
  }, [props.open]);

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={`${id}-title`} class="dialog-title">
        {props.title}
      </h2>
      <div id={`${id}-body`} class="dialog-body">
        {props.children}
      </div>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={props.onCancel} autofocus>
          Cancel
        </button>
        <button type="button" class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} onClick={props.onConfirm} disabled={props.pending}>
          {props.pending ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
