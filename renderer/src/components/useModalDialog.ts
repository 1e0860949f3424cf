/**
 * What Signet's modal dialogs (PIN, initialise, change/unblock PIN) share: a
 * <dialog> shown modally and focused on its first field while `open`, closed
 * and reset when `open` turns false (so the next opening starts empty); and
 * after a refused try, the cursor back in the first field once the fields are
 * enabled again (focusing a disabled input loses focus).
 *
 * Reset on closing, never on opening: a reset scheduled as the dialog shows
 * can land after the user's first keystrokes and wipe them (seen in the UI
 * tests under load: a typed label equal to the last one left on screen was
 * swallowed, then cleared).
 */
import { type RefObject, useEffect, useRef } from 'react';

export function useModalDialog({
  open,
  reset,
  first,
  refused,
}: {
  open: boolean;
  /** Empties the dialog's fields and messages; runs each time it closes. */
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
      dialog.showModal();
      first.current?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
      resetRef.current();
    }
  }, [open, first]);

  useEffect(() => {
    if (refused) first.current?.focus();
  }, [refused, first]);

  return ref;
}
