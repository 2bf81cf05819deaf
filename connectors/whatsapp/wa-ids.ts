import { jidDecode, jidNormalizedUser, type WAMessageKey } from '@whiskeysockets/baileys';

/*
 * Our provider message id for a WhatsApp message: "<remote JID>/<id>" for a message a contact
 * sent, "me/<id>" for one this number sent (from OneMessage or from the phone). Deduplication is
 * thus by (channel, remote JID, message id, from-me); our own ids are unique to this number, and
 * a receipt for them may name the chat by LID or by phone, so the chat is left out for them.
 */
export function providerIdOf(key: WAMessageKey): string | null {
  if (!key.id) return null;
  if (key.fromMe) return `me/${key.id}`;
  if (!key.remoteJid) return null;
  return `${jidNormalizedUser(key.remoteJid) || key.remoteJid}/${key.id}`;
}

/** An identity of a WhatsApp user as our contacts know it. */
export type WaIdentity = { kind: 'wa_jid'; value: string; phone: string | null } | { kind: 'wa_lid'; value: string };

const E164 = /^\+[1-9]\d{6,14}$/;

/** A user JID (phone number or LID, any device) as an identity; null for groups, broadcasts and others. */
export function identityOf(jid: string | null | undefined): WaIdentity | null {
  if (!jid) return null;
  const decoded = jidDecode(jid);
  if (!decoded?.user) return null;
  if (decoded.server === 's.whatsapp.net') {
    const phone = `+${decoded.user}`;
    return { kind: 'wa_jid', value: `${decoded.user}@s.whatsapp.net`, phone: E164.test(phone) ? phone : null };
  }
  if (decoded.server === 'lid') return { kind: 'wa_lid', value: `${decoded.user}@lid` };
  return null;
}

/** The JID to send to for a contact: the phone JID when we know the phone, else a stored JID or LID. */
export function recipientJid(to: { phone: string | null; externalIds: { kind: string; value: string }[] }): string | null {
  const jid = to.externalIds.find((e) => e.kind === 'wa_jid')?.value;
  if (jid) return jid;
  if (to.phone) return `${to.phone.slice(1)}@s.whatsapp.net`;
  return to.externalIds.find((e) => e.kind === 'wa_lid')?.value ?? null;
}
