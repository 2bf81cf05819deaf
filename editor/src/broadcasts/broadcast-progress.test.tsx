// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { BroadcastStats } from '../api/api-types.ts';
import { RECIPIENT_STATUSES, SKIP_REASONS, type RecipientStatus, type SkipReason } from '../../../engine/broadcasts/broadcast-state.ts';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { CurrentStatus, NumberCards, ProgressBar, shortCounts, SkippedCounts, StateBadge } from './broadcast-progress.tsx';

/** Counts for every key (the API sends them all), 0 unless given. */
function countsOf<K extends string>(keys: readonly K[], given: Partial<Record<K, number>>): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, given[k] ?? 0])) as Record<K, number>;
}
const byStatus = (given: Partial<Record<RecipientStatus, number>>) => countsOf(RECIPIENT_STATUSES, given);
const skipped = (given: Partial<Record<SkipReason, number>>) => countsOf(SKIP_REASONS, given);

const stats = (overrides: Partial<BroadcastStats> = {}): BroadcastStats => ({
  total: 10,
  byStatus: byStatus({ pending: 2, sent: 1, delivered: 3, read: 2, failed: 1, skipped: 1 }),
  skippedByReason: skipped({ opted_out: 1 }),
  optedOutAfter: 0,
  percentDone: 80,
  estimatedFinishAt: null,
  ...overrides,
});

afterEach(cleanup);

describe('the progress bar', () => {
  it('shows percent done as its value and its width', () => {
    renderInApp(<ProgressBar percent={42.7} label="Progress" />);
    const bar = screen.getByRole('progressbar', { name: 'Progress' });
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
    expect(screen.getByText('42%')).toBeTruthy();
  });

  it('shows 100% only when everything is done (99.6 stays 99)', () => {
    renderInApp(<ProgressBar percent={99.6} label="Progress" />);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('99');
  });

  it('keeps an out-of-range answer inside the bar', () => {
    renderInApp(<ProgressBar percent={130} label="Progress" />);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  });
});

describe('the numbers of a broadcast', () => {
  it('shows where each recipient is right now, every status including the ones at 0', () => {
    renderInApp(<CurrentStatus stats={stats({ byStatus: byStatus({ pending: 4, read: 6 }) })} />);
    const count = (status: string) => document.querySelector(`[data-status="${status}"]`)?.textContent;
    expect([count('pending'), count('sent'), count('delivered'), count('read'), count('failed'), count('skipped')]).toEqual([
      '4',
      '0',
      '0',
      '6',
      '0',
      '0',
    ]);
  });

  it('shows the cards as reached at least, labelled so: sent ≥ delivered ≥ read', () => {
    renderInApp(<NumberCards stats={stats()} />);
    const number = (key: string) => document.querySelector(`[data-number="${key}"]`)?.textContent;
    expect([number('recipients'), number('sent'), number('delivered'), number('read'), number('failed'), number('skipped')]).toEqual([
      '10',
      '6',
      '5',
      '2',
      '1',
      '1',
    ]);
    expect(screen.getByText(/reached at least that step/)).toBeTruthy();
  });

  it('sums the statuses a message passed through: a read message was also sent and delivered', () => {
    expect(shortCounts(stats())).toBe('6 sent · 5 delivered · 2 read · 1 failed · 1 skipped');
  });

  it('says why recipients were skipped and who opted out after receiving it', () => {
    renderInApp(<SkippedCounts stats={stats({ skippedByReason: skipped({ opted_out: 2, restricted: 1 }), optedOutAfter: 3 })} />);
    expect(screen.getByTestId('skipped-counts').textContent).toBe('Skipped: 2 opted out, 1 restricted · 3 opted out after receiving it');
  });

  it('says none were skipped when none were', () => {
    renderInApp(<SkippedCounts stats={stats({ skippedByReason: skipped({}) })} />);
    expect(screen.getByTestId('skipped-counts').textContent).toContain('None skipped');
  });
});

describe('the state badge', () => {
  it('shows the reason of a wait in words', () => {
    renderInApp(<StateBadge state="scheduled" reason="channel_not_connected" />);
    expect(document.querySelector('[data-state="scheduled"]')!.textContent).toBe('scheduled: channel not connected');
  });
});
