import { useSearchParams } from "@remix-run/react";

/** The range/compare/account part of the URL, carried from page to page as one drills down. */
export function useCarriedQuery(): string {
  const [params] = useSearchParams();
  const keep = new URLSearchParams();
  for (const k of ["range", "since", "until", "compare", "account"]) {
    const v = params.get(k);
    if (v) keep.set(k, v);
  }
  const s = keep.toString();
  return s ? `?${s}` : "";
}
