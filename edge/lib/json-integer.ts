// JSON numbers have no digit limit, but a JS number is exact only up to 2^53: a total past
// it (a tenant's cash over years) is written with its exact digits by JSON.rawJSON (TC39
// "JSON.parse source text access", stage 4; V8 11.4+, so Node ≥ 22 and workerd).
declare global {
  interface JSON {
    rawJSON(text: string): unknown;
  }
}

/** `value` for a JSON body: a plain number when exact, else its digits as a raw JSON number. */
export function jsonInteger(value: bigint): number {
  if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  // A raw JSON value stands where a number goes; JSON.stringify writes it as that number.
  return JSON.rawJSON(value.toString()) as number;
}
