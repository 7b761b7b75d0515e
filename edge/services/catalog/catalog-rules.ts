import type { DunningAction, DunningStep } from '../../../db/tenant/index.ts';

/**
 * "007.50" → "7.5": a decimal string with at most 4 decimals, canonical, within
 * [min, max] (or (min, max] when `aboveMin`); null when it is not one. Compared as
 * integers of 10^-4 units, so no float ever decides.
 */
export function canonicalDecimal(value: string, min: number, max: number, aboveMin: boolean): string | null {
  const match = /^(\d{1,6})(?:\.(\d{1,4}))?$/.exec(value);
  if (!match) return null;
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const units = Number(whole) * 10_000 + Number(fraction.padEnd(4, '0'));
  if (units > max * 10_000 || units < min * 10_000 || (aboveMin && units === min * 10_000)) return null;
  return fraction ? `${whole}.${fraction}` : whole;
}

const severity: Record<DunningAction, number> = { notify: 0, throttle: 1, suspend: 2, reject: 3 };

/**
 * Day offsets strictly increase; a network action (throttle, suspend, reject) is harsher
 * than every one before it — never milder, never the same twice, since repeating one
 * changes nothing. A notice only informs, so notify may come anywhere, any number of times.
 */
export function dunningStepErrors(steps: readonly DunningStep[]) {
  const errors: { path: (string | number)[]; message: string }[] = [];
  let harshest: DunningAction = 'notify';
  steps.forEach((step, i) => {
    const prev = steps[i - 1];
    if (prev && step.day_offset <= prev.day_offset)
      errors.push({ path: [i, 'day_offset'], message: `must be after the previous step's day ${prev.day_offset}` });
    if (step.action === 'notify') return;
    if (severity[step.action] <= severity[harshest])
      errors.push({ path: [i, 'action'], message: `${step.action} cannot follow ${harshest}` });
    else harshest = step.action;
  });
  return errors;
}

export const defaultDunningSteps: readonly DunningStep[] = Object.freeze([
  { day_offset: 7, action: 'notify' },
  { day_offset: 14, action: 'throttle' },
  { day_offset: 21, action: 'suspend' },
  { day_offset: 30, action: 'reject' },
] as const);
