// Issue 12 item 7: a crypt(3) check costs 1-16 ms by design (SHA-crypt's 5,000 rounds),
// so a login storm of subscribers imported with Crypt-Password queues behind one pool
// thread per worker. Once a password has been checked against such a hash, the replica
// stores it again in the fast form the enabled methods allow (credentials.ts), in place
// of the hash, as FreeRADIUS operators do when migrating hash schemes on login.
import type { Client } from '@libsql/client';
import type { Credentials } from './model.ts';
import { readReplicaMeta, sealContext } from './read-rows.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * Replaces subscriber `id`'s crypt hash with `fast`, but only while its stored hash is
 * still `verifiedCrypt`: a password changed meanwhile (edge sync, import) is never
 * overwritten with the old one. Returns the new revision, or null when nothing changed.
 */
export async function replaceCryptCredential(
  client: Client,
  box: SecretBox,
  id: string,
  verifiedCrypt: string,
  fast: Credentials,
): Promise<number | null> {
  const tx = await client.transaction('write');
  try {
    const row = (await tx.execute({ sql: 'SELECT credentials FROM subscribers WHERE id = ?', args: [id] })).rows[0];
    if (row === undefined) return null;
    const context = sealContext('subscriber', id);
    const stored = JSON.parse(box.open(String(row.credentials), context)) as Credentials;
    if (stored.crypt !== verifiedCrypt) return null;
    const { crypt: _replaced, ...others } = stored;
    const revision = (await readReplicaMeta(tx)).revision + 1;
    await tx.batch([
      {
        sql: 'UPDATE subscribers SET credentials = ?, revision = ? WHERE id = ?',
        args: [box.seal(JSON.stringify({ ...others, ...fast }), context), revision, id],
      },
      { sql: "UPDATE meta SET value = ? WHERE key = 'revision'", args: [revision] },
    ]);
    await tx.commit();
    return revision;
  } finally {
    tx.close();
  }
}
