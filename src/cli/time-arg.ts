import { parseTimePoint, TIME_POINT_FORMS } from '../util/time-point.js';
import { UsageError } from './args.js';

/**
 * A point in time given on the command line (see `parseTimePoint`); anything
 * else is a usage error naming the option.
 */
export function parseTimeArg(value: string, option: string, now: number = Date.now()): number {
  const t = parseTimePoint(value, now);
  if (t === null) throw new UsageError(`${option} ${JSON.stringify(value)}: expected ${TIME_POINT_FORMS}`);
  return t;
}
