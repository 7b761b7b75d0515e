// API keys read `isk_<tenant slug>.<key id>.<secret>`: the slug routes the request to its
// tenant's database, the id finds the row, the secret is checked against its SHA-256.
const pattern = /^isk_([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

export const formatApiKey = (tenant: string, id: string, secret: string) =>
  `isk_${tenant}.${id.replaceAll('-', '')}.${secret}`;

export function parseApiKey(token: string): { tenant: string; id: string; secret: string } | null {
  const match = pattern.exec(token);
  if (!match) return null;
  const hex = match[2]!;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { tenant: match[1]!, id, secret: match[3]! };
}
