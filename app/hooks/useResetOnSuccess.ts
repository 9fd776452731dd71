import { useEffect, useRef } from "react";

/**
 * Empties a form once its action succeeded: the inputs are uncontrolled, so without this a sent
 * invitation's address stays in the field and invites the same person twice. `result` is the
 * route's action data (a new object per submission); `succeeded` says whether it was this form's.
 */
export function useResetOnSuccess<T>(result: T | undefined, succeeded: (r: T) => boolean) {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (result && succeeded(result)) ref.current?.reset();
    // runs once per action result (a new object per submission), not when `succeeded` changes identity
  }, [result]);
  return ref;
}
