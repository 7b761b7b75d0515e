import { describe, expect, it } from 'vitest';
import { hashNtPassword, md4 } from '../../../appliance/replica/md4.ts';

describe('md4', () => {
  it('matches the RFC 1320 §A.5 test suite', () => {
    const vectors: Array<[string, string]> = [
      ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
      ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
      ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
      ['message digest', 'd9130a8164549fe818874806e1c7014b'],
      ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
      ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
    ];
    for (const [input, digest] of vectors) expect(md4(Buffer.from(input)).toString('hex')).toBe(digest);
  });

  it('computes the NT password hash of RFC 2759 §9.2', () => {
    expect(hashNtPassword('clientPass').toString('hex').toUpperCase()).toBe('44EBBA8D5312B8D611474411F56989AE');
  });

  it('handles inputs around the 56-byte padding boundary', () => {
    for (const length of [55, 56, 57, 63, 64, 65, 119, 120]) expect(md4(Buffer.alloc(length, 0x61))).toHaveLength(16);
  });
});
