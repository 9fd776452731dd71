/**
 * On the password-reset and email-confirmation pages: the Facebook login linked to the account, and
 * whether to keep it (field `facebook` = keep | remove; see app/.server/auth/identities.ts). A link
 * nobody proved (made at sign-up, before the address was confirmed) is removed unless kept.
 */
const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export function LinkedIdentityChoice({ facebook }: { facebook: { linkedAt: string | Date | null; proven: boolean } | null }) {
  if (!facebook) return null;
  const since = facebook.linkedAt ? ` since ${dateFmt.format(new Date(facebook.linkedAt))}` : "";
  return (
    <fieldset className="space-y-2 rounded-lg border border-zinc-800 p-3 text-sm" data-testid="linked-identities">
      <legend className="px-1 font-medium text-zinc-200">Other ways to sign in</legend>
      <p className="text-zinc-400">A Facebook login can also sign in to this account{since}.</p>
      {facebook.proven ? (
        <label className="flex items-start gap-2 text-zinc-300">
          <input type="checkbox" name="facebook" value="remove" className="mt-0.5" />
          <span>Remove the Facebook login (do this if you did not link it yourself).</span>
        </label>
      ) : (
        <label className="flex items-start gap-2 text-zinc-300">
          <input type="checkbox" name="facebook" value="keep" className="mt-0.5" />
          <span>
            Keep the Facebook login. It was linked before this email address was confirmed, so it is removed unless you tick this; tick it only if you linked it
            yourself.
          </span>
        </label>
      )}
    </fieldset>
  );
}
