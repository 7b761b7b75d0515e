import { describe, expect, it } from 'vitest';
import {
  buildReply,
  buildRequest,
  decodePacket,
  getTag,
  getValues,
  PacketCode,
  RateLimitError,
  renderRateLimit,
} from '../../../appliance/radius/index.ts';
import type { AttributeInput, RateLimitProfile } from '../../../appliance/radius/index.ts';
import { dictionary, SECRET } from './helpers.ts';

const PLAN: RateLimitProfile = { uploadKbps: 10_000, downloadKbps: 50_000 };

/** Encode into a real Access-Accept and read the attributes back through the dictionary. */
function roundTrip(attributes: AttributeInput[]): Map<string, unknown[]> {
  const request = decodePacket(
    buildRequest(
      {
        code: PacketCode.accessRequest,
        identifier: 1,
        secret: SECRET,
        attributes: [{ attribute: 'User-Name', value: 'u' }],
      },
      dictionary,
    ),
    dictionary,
  );
  const reply = decodePacket(buildReply(request, PacketCode.accessAccept, attributes, SECRET, dictionary), dictionary);
  const values = new Map<string, unknown[]>();
  for (const { attribute } of attributes) {
    const name = typeof attribute === 'string' ? attribute : attribute.name;
    values.set(name, getValues(reply, dictionary.requireAttribute(name)));
  }
  return values;
}

describe('renderRateLimit: MikroTik (upload first)', () => {
  it('renders rx/tx from the router\'s point of view: "10M/50M" is 10 up, 50 down', () => {
    expect(renderRateLimit('mikrotik', PLAN)).toEqual([{ attribute: 'Mikrotik-Rate-Limit', value: '10M/50M' }]);
    expect(roundTrip(renderRateLimit('mikrotik', PLAN)).get('Mikrotik-Rate-Limit')).toEqual(['10M/50M']);
  });

  it('uses k for rates that are not whole Mbit/s', () => {
    expect(renderRateLimit('mikrotik', { uploadKbps: 512, downloadKbps: 1500 })[0]?.value).toBe('512k/1500k');
  });

  it('renders bursts as rate, threshold and time pairs', () => {
    const profile: RateLimitProfile = {
      ...PLAN,
      burst: {
        uploadKbps: 20_000,
        downloadKbps: 100_000,
        thresholdUploadKbps: 8_000,
        thresholdDownloadKbps: 40_000,
        timeUploadSeconds: 16,
        timeDownloadSeconds: 32,
      },
    };
    expect(renderRateLimit('mikrotik', profile)[0]?.value).toBe('10M/50M 20M/100M 8M/40M 16/32');
  });

  it('keeps fields positional when only priority and a minimum are set', () => {
    const profile: RateLimitProfile = { ...PLAN, priority: 5, minimum: { uploadKbps: 2_000, downloadKbps: 5_000 } };
    expect(renderRateLimit('mikrotik', profile)[0]?.value).toBe('10M/50M 0/0 0/0 0/0 5 2M/5M');
    expect(renderRateLimit('mikrotik', { ...PLAN, priority: 1 })[0]?.value).toBe('10M/50M 0/0 0/0 0/0 1');
  });

  it('renders the captive "please pay" profile: 1M/1M', () => {
    expect(renderRateLimit('mikrotik', { uploadKbps: 1_000, downloadKbps: 1_000 })[0]?.value).toBe('1M/1M');
  });
});

describe('renderRateLimit: Cisco', () => {
  it('prefers named policy-maps via subscriber:sub-qos-policy-in/out', () => {
    const attributes = renderRateLimit('cisco', { ...PLAN, policy: { input: 'UP-10M', output: 'DOWN-50M' } });
    expect(roundTrip(attributes).get('Cisco-AVPair')).toEqual([
      'subscriber:sub-qos-policy-in=UP-10M',
      'subscriber:sub-qos-policy-out=DOWN-50M',
    ]);
  });

  it("falls back to per-user CAR with input = upload and Cisco's 1.5 s bursts", () => {
    expect(renderRateLimit('cisco', PLAN).map((attribute) => attribute.value)).toEqual([
      'lcp:interface-config#1=rate-limit input 10000000 1875000 3750000 conform-action transmit exceed-action drop',
      'lcp:interface-config#2=rate-limit output 50000000 9375000 18750000 conform-action transmit exceed-action drop',
    ]);
  });
});

describe('renderRateLimit: Juniper', () => {
  it('activates a parameterised service with (upload, download) in bit/s, tag 1', () => {
    const attributes = renderRateLimit('juniper', { ...PLAN, policy: { service: 'svc-rate', qosProfile: 'RES' } });
    expect(attributes).toEqual([
      { attribute: 'ERX-Qos-Profile-Name', value: 'RES' },
      { attribute: 'ERX-Service-Activate', value: 'svc-rate(10000000,50000000)', tag: 1 },
    ]);
    const request = decodePacket(
      buildRequest({ code: PacketCode.accessRequest, identifier: 1, secret: SECRET, attributes: [] }, dictionary),
      dictionary,
    );
    const reply = decodePacket(
      buildReply(request, PacketCode.accessAccept, attributes, SECRET, dictionary),
      dictionary,
    );
    const service = dictionary.requireAttribute('ERX-Service-Activate');
    expect(getValues(reply, service)).toEqual(['svc-rate(10000000,50000000)']);
    expect(getTag(reply, service)).toBe(1);
  });

  it('uses named ingress/egress policies', () => {
    expect(renderRateLimit('juniper', { ...PLAN, policy: { input: 'in-10m', output: 'out-50m' } })).toEqual([
      { attribute: 'ERX-Ingress-Policy-Name', value: 'in-10m' },
      { attribute: 'ERX-Egress-Policy-Name', value: 'out-50m' },
    ]);
  });

  it('falls back to the downstream shaping rate', () => {
    expect(renderRateLimit('juniper', PLAN)).toEqual([{ attribute: 'ERX-Cos-Shaping-Rate', value: '50000k' }]);
  });
});

describe('renderRateLimit: Huawei', () => {
  it('renders input (upload) and output (download) average and peak rates in bit/s', () => {
    const profile: RateLimitProfile = {
      ...PLAN,
      burst: {
        uploadKbps: 12_000,
        downloadKbps: 60_000,
        thresholdUploadKbps: 0,
        thresholdDownloadKbps: 0,
        timeUploadSeconds: 0,
        timeDownloadSeconds: 0,
      },
      policy: { qosProfile: 'home' },
    };
    const values = roundTrip(renderRateLimit('huawei', profile));
    expect(values.get('Huawei-Input-Average-Rate')).toEqual([10_000_000]);
    expect(values.get('Huawei-Output-Average-Rate')).toEqual([50_000_000]);
    expect(values.get('Huawei-Input-Peak-Rate')).toEqual([12_000_000]);
    expect(values.get('Huawei-Output-Peak-Rate')).toEqual([60_000_000]);
    expect(values.get('Huawei-Qos-Profile-Name')).toEqual(['home']);
  });

  it('refuses rates above what a 32-bit attribute holds', () => {
    expect(() => renderRateLimit('huawei', { uploadKbps: 5_000_000, downloadKbps: 1 })).toThrow(RateLimitError);
  });
});

describe('renderRateLimit: validation', () => {
  const bad: Array<[string, RateLimitProfile]> = [
    ['a zero rate', { uploadKbps: 0, downloadKbps: 1 }],
    ['a negative rate', { uploadKbps: -1, downloadKbps: 1 }],
    ['a fractional rate', { uploadKbps: 1.5, downloadKbps: 1 }],
    ['priority 0', { ...PLAN, priority: 0 }],
    ['priority 9', { ...PLAN, priority: 9 }],
    [
      'a negative burst time',
      {
        ...PLAN,
        burst: {
          uploadKbps: 1,
          downloadKbps: 1,
          thresholdUploadKbps: 1,
          thresholdDownloadKbps: 1,
          timeUploadSeconds: -1,
          timeDownloadSeconds: 1,
        },
      },
    ],
  ];
  it.each(bad)('refuses %s', (_name, profile) => {
    expect(() => renderRateLimit('mikrotik', profile)).toThrow(RateLimitError);
  });

  it('has nothing to say to other NAS vendors', () => {
    expect(renderRateLimit('other', PLAN)).toEqual([]);
  });
});
