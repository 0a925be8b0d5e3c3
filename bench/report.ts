// What every benchmark reports the same way: medians of repeated measurements, ratios against
// the baseline measured in the same run, and parse throughput in MB/s.
import { performance } from 'node:perf_hooks';

/** The middle value (the upper one of an even count); robust to a few slow outliers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no measurements');
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** `value` as a multiple of `baseline`, e.g. `1.52×`. */
export function ratio(value: number, baseline: number, digits = 2): string {
  return `${(value / baseline).toFixed(digits)}×`;
}

/**
 * Parses every line once (after one warm-up line) and prints and returns the throughput in MB
 * of `bytes` per second, under `label`.
 */
export function measureThroughput(
  label: string,
  lines: readonly string[],
  bytes: number,
  parseLine: (line: string) => void,
): number {
  parseLine(lines[0]!);
  const start = performance.now();
  for (const line of lines) parseLine(line);
  const seconds = (performance.now() - start) / 1000;
  const megabytesPerSecond = bytes / 1024 / 1024 / seconds;
  console.log(`${label.padEnd(28)} ${megabytesPerSecond.toFixed(1).padStart(8)} MB/s`);
  return megabytesPerSecond;
}

/** The line after two throughputs: parser ÷ baseline. */
export function printThroughputRatio(parser: number, baseline: number): void {
  console.log(`${'ratio parser / baseline'.padEnd(28)} ${(parser / baseline).toFixed(2).padStart(8)}`);
}
