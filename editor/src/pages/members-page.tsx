import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client.ts';
import type { CreatedInvitation, Member, PendingInvitation } from '../api/api-types.ts';
import { ErrorAlert } from '../error-alert.tsx';
import { messageOf } from '../error-message.ts';
import { useSession } from '../session/session-context.tsx';

const ROLES = [
  { role: 'agent', label: 'Agent (inbox and replies)' },
  { role: 'marketer', label: 'Marketer (flows and broadcasts)' },
  { role: 'admin', label: 'Admin (channels, members, keys)' },
  { role: 'owner', label: 'Owner' },
] as const;

/** What a role is called on the page: "Agent", not the API's `agent`. */
function roleName(role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1);
}

/** The workspace's members, and for admins: invite by email, pending invitations, revoke. */
export function MembersPage() {
  const { api } = useSession();
  const [members, setMembers] = useState<Member[] | null>(null);
  // null: not loaded, or the caller's role cannot manage members (the invite section is hidden).
  const [invitations, setInvitations] = useState<PendingInvitation[] | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [error, setError] = useState<string | null>(null);
  // After Copy: 'copied', or 'select' when the browser refused the clipboard (the person copies by hand).
  const [copied, setCopied] = useState<'copied' | 'select' | null>(null);

  const load = useCallback(async () => {
    try {
      setMembers((await api.get<{ items: Member[] }>('/members')).items);
      setInvitations((await api.get<{ items: PendingInvitation[] }>('/invitations')).items);
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) setInvitations(null);
      else setError(messageOf(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);

  async function invite(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    setError(null);
    try {
      setCopied(null);
      setCreated(await api.post<CreatedInvitation>('/invitations', { email: String(form.get('email') ?? '').trim(), role: String(form.get('role') ?? 'agent') }));
      element.reset();
      await load();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function revoke(invitation: PendingInvitation) {
    setError(null);
    try {
      await api.delete(`/invitations/${invitation.id}`);
      if (created?.id === invitation.id) setCreated(null);
      await load();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function copyLink(url: string, button: HTMLButtonElement) {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('copied');
    } catch {
      // No clipboard (plain http on another host than localhost, or permission refused).
      button.parentElement?.querySelector('input')?.select();
      setCopied('select');
    }
  }

  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members</h1>
      {invitations && (
        <form onSubmit={(e) => void invite(e)} className="inline-form card" aria-label="Invite someone">
          <label className="inline">
            Email
            <input name="email" type="email" required maxLength={254} placeholder="sam@example.com" />
          </label>
          <label className="inline">
            Role
            <select name="role" defaultValue="agent">
              {ROLES.map((r) => (
                <option key={r.role} value={r.role}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Invite</button>
        </form>
      )}
      {created && (
        <div className="banner info invitation-link" role="status" aria-label={`Invitation link for ${created.email}`}>
          <p>
            {created.emailed ? `Invitation emailed to ${created.email}. You can also send them this link yourself.` : `Send this link to ${created.email} yourself: no email was sent.`} It is shown only now, and works once, for 7 days.
          </p>
          <div className="inline-form">
            <input
              className="code"
              readOnly
              aria-label="Invitation link"
              value={created.acceptUrl}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button type="button" className="secondary" onClick={(e) => void copyLink(created.acceptUrl, e.currentTarget)}>
              {copied === 'copied' ? 'Copied' : 'Copy link'}
            </button>
            <button type="button" className="link" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
          {copied === 'select' && <p className="hint">Your browser did not allow copying: the link is selected, press Ctrl+C (⌘C on a Mac).</p>}
        </div>
      )}
      <ErrorAlert message={error} />
      <table className="flows-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
          </tr>
        </thead>
        <tbody>
          {members?.map((m) => (
            <tr key={m.id}>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>{roleName(m.role)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {invitations && (
        <section aria-labelledby="pending-title">
          <h2 id="pending-title">Pending invitations</h2>
          {invitations.length === 0 && <p className="muted">No pending invitations.</p>}
          <ul className="channels">
            {invitations.map((i) => (
              <li key={i.id} className="card">
                <strong>{i.email}</strong> · {roleName(i.role)}
                <span className="muted">
                  {' '}
                  · invited{i.invitedByName ? ` by ${i.invitedByName}` : ''}, expires {new Date(i.expiresAt).toLocaleDateString()}
                </span>
                <button type="button" className="secondary" onClick={() => void revoke(i)}>
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
