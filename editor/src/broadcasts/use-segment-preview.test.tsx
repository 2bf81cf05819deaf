// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SegmentPreview } from '../api/api-types.ts';
import { ApiError } from '../api/api-client.ts';
import { PREVIEW_DEBOUNCE_MS, useSegmentPreview, type FetchPreview } from './use-segment-preview.ts';

const previewOf = (count: number): SegmentPreview => ({ count, excluded: { opted_out: 0, restricted: 0, erased: 0 }, sample: [] });

function Probe({ rule, fetchPreview, enabled = true }: { rule: unknown; fetchPreview: FetchPreview; enabled?: boolean }) {
  const { preview, stale, error } = useSegmentPreview(rule, enabled, fetchPreview);
  return (
    <p data-testid="probe">
      {error ? `error ${error.message} ${error.problems.map((p) => p.path).join()}` : `${preview?.count ?? 'none'}${stale ? ' stale' : ''}`}
    </p>
  );
}
const shown = () => screen.getByTestId('probe').textContent;

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('the live audience count of a segment', () => {
  it('asks the server once, for the last rule, after the rule stops changing for the debounce delay', async () => {
    const fetchPreview = vi.fn<FetchPreview>(async (rule) => previewOf(JSON.stringify(rule).length));
    const { rerender } = render(<Probe rule={{ a: 1 }} fetchPreview={fetchPreview} />);
    rerender(<Probe rule={{ a: 12 }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS - 1));
    rerender(<Probe rule={{ a: 123 }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS - 1));
    expect(fetchPreview).not.toHaveBeenCalled();
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(fetchPreview).toHaveBeenCalledTimes(1);
    expect(fetchPreview.mock.calls[0]![0]).toEqual({ a: 123 });
    expect(shown()).toBe(String(JSON.stringify({ a: 123 }).length));
  });

  it('keeps the last count, marked stale, while a changed rule is being counted', async () => {
    const fetchPreview = vi.fn<FetchPreview>(async () => previewOf(5));
    const { rerender } = render(<Probe rule={{ a: 1 }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS));
    expect(shown()).toBe('5');
    rerender(<Probe rule={{ a: 2 }} fetchPreview={fetchPreview} />);
    expect(shown()).toBe('5 stale');
  });

  it('does not ask again for a new object holding the same rule', async () => {
    const fetchPreview = vi.fn<FetchPreview>(async () => previewOf(5));
    const { rerender } = render(<Probe rule={{ a: 1 }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS));
    rerender(<Probe rule={{ a: 1 }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS));
    expect(fetchPreview).toHaveBeenCalledTimes(1);
  });

  it('aborts the request of a rule changed while it was in flight, so its late answer is never shown', async () => {
    const signals: AbortSignal[] = [];
    const fetchPreview = vi.fn<FetchPreview>((rule, signal) => {
      signals.push(signal);
      const count = (rule as { a: number }).a;
      return new Promise((resolve) => setTimeout(() => resolve(previewOf(count)), count === 1 ? 1_000 : 10));
    });
    const { rerender } = render(<Probe rule={{ a: 1 }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS));
    rerender(<Probe rule={{ a: 2 }} fetchPreview={fetchPreview} />);
    expect(signals[0]!.aborted).toBe(true);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS + 10));
    expect(shown()).toBe('2');
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(shown()).toBe('2');
  });

  it("shows the server's message and field problems for a rule it refuses", async () => {
    const fetchPreview = vi.fn<FetchPreview>(async () => {
      throw new ApiError(400, 'validation_failed', 'invalid body', [{ path: 'rule', message: 'operator "eval" is not allowed' }]);
    });
    render(<Probe rule={{ eval: [] }} fetchPreview={fetchPreview} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS));
    expect(shown()).toBe('error invalid body rule');
  });

  it('asks nothing while the audience is not a segment', async () => {
    const fetchPreview = vi.fn<FetchPreview>(async () => previewOf(1));
    render(<Probe rule={{ a: 1 }} fetchPreview={fetchPreview} enabled={false} />);
    await act(() => vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS * 2));
    expect(fetchPreview).not.toHaveBeenCalled();
  });
});
