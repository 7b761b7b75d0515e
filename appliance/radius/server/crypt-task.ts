// Piscina task: checks a batch of PAP passwords against crypt(3) hashes ($1$, $5$,
// $6$). These take 1–16 ms each here (SHA-crypt's 5,000 rounds, by design), so they
// run beside the packet loop instead of stalling it; see crypt-pool.ts.
import { verifyCrypt } from '../auth/crypt.ts';

export type CryptCheck = { password: Uint8Array; hash: string };

export default function checkCryptBatch(batch: readonly CryptCheck[]): boolean[] {
  return batch.map(({ password, hash }) => {
    const bytes = Buffer.from(password.buffer, password.byteOffset, password.byteLength);
    const ok = verifyCrypt(bytes, hash);
    bytes.fill(0);
    return ok;
  });
}
