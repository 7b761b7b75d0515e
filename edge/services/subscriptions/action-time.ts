import { AppError } from '../../errors.ts';

const yearMs = 366 * 86_400_000;

/**
 * The instant a lifecycle action takes effect: `at` when given (back-dating is allowed,
 * the clerk records what happened), else now. `future` bounds how far ahead it may be.
 */
export function actionTime(now: number, at: string | undefined, future: 'none' | 'year'): Date {
  if (at === undefined) return new Date(now);
  const instant = new Date(at).getTime();
  const limit = future === 'none' ? now : now + yearMs;
  if (instant > limit) {
    const message = future === 'none' ? 'must not be in the future' : 'must be at most a year from now';
    throw new AppError('validation_failed', `at ${message}`, { errors: [{ path: 'at', message }] });
  }
  return new Date(instant);
}
