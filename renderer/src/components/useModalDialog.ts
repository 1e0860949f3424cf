/**
 * What Signet's modal dialogs (PIN, initialise, change/unblock PIN) share: a
 * <dialog> shown modally while `open`, reset and focused on its first field each
 * time it opens, closed when `open` turns false; and after a refused try, the
 * cursor back in the first field once the fields are enabled again (focusing a
 * disabled input loses focus).
 */
import { type RefObject, useEffect, useRef } from 'react';

export function useModalDialog({
  open,
  reset,
  first,
  refused,
}: {
  open: boolean;
  /** Empties the dialog's fields and messages; runs each time it opens. */
  reset(): void;
  first: RefObject<HTMLInputElement | null>;
  /** True while an error is shown and nothing is running. */
  refused: boolean;
}): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  const resetRef = useRef(reset);
  resetRef.current = reset;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      resetRef.current();
      dialog.showModal();
      first.current?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open, first]);

  useEffect(() => {
    if (refused) first.current?.focus();
  }, [refused, first]);

  return ref;
}
