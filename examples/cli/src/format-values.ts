import { type TokenUsage, totalTokens } from '@loompa/core';

/** `1:05` for 65 s, `1:02:03` past an hour. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** `950`, `12.3k`, `4.5M` tokens. */
export function formatTokens(usage: TokenUsage): string {
  const total = totalTokens(usage);
  if (total < 1_000) return String(total);
  if (total < 1_000_000) return `${(total / 1_000).toFixed(1)}k`;
  return `${(total / 1_000_000).toFixed(1)}M`;
}

/** Dollars with cents, and four decimals below one dollar so small agent runs do not read as $0.00. */
export function formatUsd(amount: number | null): string {
  if (amount === null) return '–';
  if (amount === 0) return '$0.00';
  return amount < 1 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`;
}
