// A profile's rate limit as the reply attributes each NAS family understands.
// Directions are the subscriber's: upload is traffic the NAS receives from the
// subscriber ("rx"/"input"/"in"), download what it sends ("tx"/"output"/"out").
import type { AttributeInput } from './codec.ts';

export type NasVendor = 'mikrotik' | 'cisco' | 'juniper' | 'huawei' | 'other';

export interface RateLimitProfile {
  /** kbit/s, 1000 bit/s per k (RouterOS and IOS count decimal). */
  readonly uploadKbps: number;
  readonly downloadKbps: number;
  /** MikroTik bursts: rate, average threshold and averaging window per direction. */
  readonly burst?: {
    readonly uploadKbps: number;
    readonly downloadKbps: number;
    readonly thresholdUploadKbps: number;
    readonly thresholdDownloadKbps: number;
    readonly timeUploadSeconds: number;
    readonly timeDownloadSeconds: number;
  };
  /** MikroTik queue priority, 1 (highest) to 8. */
  readonly priority?: number;
  /** Guaranteed rate (MikroTik limit-at). */
  readonly minimum?: { readonly uploadKbps: number; readonly downloadKbps: number };
  /** Names of policies provisioned on the NAS, preferred over numeric rates where the vendor has them. */
  readonly policy?: {
    /** Policy applied to the subscriber's upload (Cisco policy-map, Juniper ingress policy). */
    readonly input?: string;
    /** Policy applied to the subscriber's download (Cisco policy-map, Juniper egress policy). */
    readonly output?: string;
    /** Juniper ERX-Qos-Profile-Name / Huawei-Qos-Profile-Name. */
    readonly qosProfile?: string;
    /** Juniper dynamic service profile taking (upload bit/s, download bit/s) parameters. */
    readonly service?: string;
  };
}

export class RateLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateLimitError';
  }
}

/** Reply attributes (by dictionary name) enforcing `profile` on a NAS of `vendor`; 'other' gets none. */
export function renderRateLimit(vendor: NasVendor, profile: RateLimitProfile): AttributeInput[] {
  checkProfile(profile);
  switch (vendor) {
    case 'mikrotik':
      return [{ attribute: 'Mikrotik-Rate-Limit', value: renderMikrotikRateLimit(profile) }];
    case 'cisco':
      return renderCisco(profile);
    case 'juniper':
      return renderJuniper(profile);
    case 'huawei':
      return renderHuawei(profile);
    case 'other':
      return [];
  }
}

/**
 * RouterOS "rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate]
 * [rx-burst-threshold[/tx-burst-threshold] [rx-burst-time[/tx-burst-time]
 * [priority] [rx-rate-min[/tx-rate-min]]]]" with rx = the router receiving =
 * subscriber upload, so "10M/50M" is 10 Mbit/s up and 50 Mbit/s down. Fields are
 * positional: priority or a minimum without bursts fills the burst fields with
 * 0 (RouterOS: burst disabled).
 */
export function renderMikrotikRateLimit(profile: RateLimitProfile): string {
  const fields = [`${formatRate(profile.uploadKbps)}/${formatRate(profile.downloadKbps)}`];
  const burst = profile.burst;
  if (burst || profile.priority !== undefined || profile.minimum) {
    fields.push(
      burst ? `${formatRate(burst.uploadKbps)}/${formatRate(burst.downloadKbps)}` : '0/0',
      burst ? `${formatRate(burst.thresholdUploadKbps)}/${formatRate(burst.thresholdDownloadKbps)}` : '0/0',
      burst ? `${burst.timeUploadSeconds}/${burst.timeDownloadSeconds}` : '0/0',
    );
  }
  if (profile.priority !== undefined || profile.minimum) fields.push(String(profile.priority ?? 8));
  if (profile.minimum)
    fields.push(`${formatRate(profile.minimum.uploadKbps)}/${formatRate(profile.minimum.downloadKbps)}`);
  return fields.join(' ');
}

/** "M" when the rate is a whole number of Mbit/s, else "k" (RouterOS units are decimal). */
function formatRate(kbps: number): string {
  return kbps >= 1000 && kbps % 1000 === 0 ? `${kbps / 1000}M` : `${kbps}k`;
}

/**
 * Cisco: named policy-maps through "subscriber:sub-qos-policy-in/out" (ISG /
 * Per-User QoS via AAA Policy Name); otherwise per-user CAR through
 * "lcp:interface-config", with Cisco's recommended bursts: normal = 1.5 s of
 * traffic in bytes (rate / 8 × 1.5), extended = 2 × normal.
 */
function renderCisco(profile: RateLimitProfile): AttributeInput[] {
  const input = profile.policy?.input;
  const output = profile.policy?.output;
  if (input || output) {
    const pairs: AttributeInput[] = [];
    if (input) pairs.push({ attribute: 'Cisco-AVPair', value: `subscriber:sub-qos-policy-in=${input}` });
    if (output) pairs.push({ attribute: 'Cisco-AVPair', value: `subscriber:sub-qos-policy-out=${output}` });
    return pairs;
  }
  return [
    { attribute: 'Cisco-AVPair', value: `lcp:interface-config#1=${ciscoCar('input', profile.uploadKbps)}` },
    { attribute: 'Cisco-AVPair', value: `lcp:interface-config#2=${ciscoCar('output', profile.downloadKbps)}` },
  ];
}

function ciscoCar(direction: 'input' | 'output', kbps: number): string {
  const bps = kbps * 1000;
  const normal = Math.ceil((bps / 8) * 1.5);
  return `rate-limit ${direction} ${bps} ${normal} ${normal * 2} conform-action transmit exceed-action drop`;
}

/**
 * Juniper (JunOS MX / JunOSe, vendor 4874): a QoS profile and/or named
 * ingress/egress policies; numeric rates through a dynamic service profile
 * "service(upload-bps,download-bps)" (ERX-Service-Activate, tag 1), or, without
 * one, as the downstream shaping rate of the client's dynamic profile
 * ($junos-cos-shaping-rate).
 */
function renderJuniper(profile: RateLimitProfile): AttributeInput[] {
  const attributes: AttributeInput[] = [];
  const policy = profile.policy;
  if (policy?.qosProfile) attributes.push({ attribute: 'ERX-Qos-Profile-Name', value: policy.qosProfile });
  if (policy?.input) attributes.push({ attribute: 'ERX-Ingress-Policy-Name', value: policy.input });
  if (policy?.output) attributes.push({ attribute: 'ERX-Egress-Policy-Name', value: policy.output });
  if (policy?.service) {
    const value = `${policy.service}(${profile.uploadKbps * 1000},${profile.downloadKbps * 1000})`;
    attributes.push({ attribute: 'ERX-Service-Activate', value, tag: 1 });
  } else if (attributes.length === 0) {
    attributes.push({ attribute: 'ERX-Cos-Shaping-Rate', value: `${profile.downloadKbps}k` });
  }
  return attributes;
}

/**
 * Huawei BRAS: committed (average) and peak rates in bit/s per direction; the
 * peak is the burst rate when one is set. A named QoS profile is added as well.
 */
function renderHuawei(profile: RateLimitProfile): AttributeInput[] {
  const attributes: AttributeInput[] = [
    { attribute: 'Huawei-Input-Average-Rate', value: toBitsPerSecond(profile.uploadKbps) },
    { attribute: 'Huawei-Output-Average-Rate', value: toBitsPerSecond(profile.downloadKbps) },
  ];
  if (profile.burst) {
    attributes.push(
      { attribute: 'Huawei-Input-Peak-Rate', value: toBitsPerSecond(profile.burst.uploadKbps) },
      { attribute: 'Huawei-Output-Peak-Rate', value: toBitsPerSecond(profile.burst.downloadKbps) },
    );
  }
  if (profile.policy?.qosProfile)
    attributes.push({ attribute: 'Huawei-Qos-Profile-Name', value: profile.policy.qosProfile });
  return attributes;
}

function toBitsPerSecond(kbps: number): number {
  const bps = kbps * 1000;
  // The Huawei rate attributes are 32-bit integers.
  if (bps > 0xffffffff) throw new RateLimitError(`${kbps} kbit/s does not fit a Huawei rate attribute`);
  return bps;
}

function checkProfile(profile: RateLimitProfile): void {
  const rates = [profile.uploadKbps, profile.downloadKbps];
  if (profile.burst) {
    const burst = profile.burst;
    rates.push(burst.uploadKbps, burst.downloadKbps, burst.thresholdUploadKbps, burst.thresholdDownloadKbps);
    for (const seconds of [burst.timeUploadSeconds, burst.timeDownloadSeconds]) {
      if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RateLimitError(`bad burst time ${seconds}`);
    }
  }
  if (profile.minimum) rates.push(profile.minimum.uploadKbps, profile.minimum.downloadKbps);
  for (const rate of rates) {
    if (!Number.isSafeInteger(rate) || rate < 0) throw new RateLimitError(`bad rate ${rate} kbit/s`);
  }
  if (profile.uploadKbps === 0 || profile.downloadKbps === 0) throw new RateLimitError('rates must be positive');
  const priority = profile.priority;
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 8)) {
    throw new RateLimitError(`priority ${priority} outside 1-8`);
  }
}
