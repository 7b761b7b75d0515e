// The one place where the replica's credential shape (replica/model.ts Credentials:
// hex strings, any combination of forms) becomes the RADIUS layer's StoredCredential
// (auth/credential.ts: one form, as bytes) for a given method.
import type { Credentials, Subscriber } from '../../replica/index.ts';
import type { StoredCredential } from '../auth/credential.ts';

export type AuthMethodName = 'pap' | 'chap' | 'mschapv2';

type Forms = {
  cleartext?: StoredCredential;
  ntHash?: StoredCredential;
  digest?: StoredCredential;
  crypt?: StoredCredential;
};

// Subscribers from the replica are frozen and replaced on change, so the converted
// forms can be cached by object identity.
const converted = new WeakMap<Subscriber, Forms>();

function convert(credentials: Readonly<Credentials>): Forms {
  const forms: Forms = {};
  if (credentials.cleartext !== undefined) forms.cleartext = { kind: 'cleartext', password: credentials.cleartext };
  if (credentials.ntHash !== undefined)
    forms.ntHash = { kind: 'nt-hash', ntHash: Buffer.from(credentials.ntHash, 'hex') };
  if (credentials.digest !== undefined) {
    const { algorithm, hash, salt } = credentials.digest;
    forms.digest = { kind: 'digest', algorithm, hash: Buffer.from(hash, 'hex'), salt: Buffer.from(salt, 'hex') };
  }
  if (credentials.crypt !== undefined) forms.crypt = { kind: 'crypt', hash: credentials.crypt };
  return forms;
}

/**
 * The credential that can verify `method` for this subscriber, cheapest first; undefined
 * when none can (e.g. CHAP needs the cleartext, RFC 1994 §4.1).
 */
export function credentialFor(subscriber: Subscriber, method: AuthMethodName): StoredCredential | undefined {
  let forms = converted.get(subscriber);
  if (forms === undefined) {
    forms = convert(subscriber.credentials);
    converted.set(subscriber, forms);
  }
  switch (method) {
    case 'pap':
      return forms.cleartext ?? forms.ntHash ?? forms.digest ?? forms.crypt;
    case 'chap':
      return forms.cleartext;
    case 'mschapv2':
      return forms.ntHash ?? forms.cleartext;
  }
}
