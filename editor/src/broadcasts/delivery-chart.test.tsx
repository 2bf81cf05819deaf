// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryChart } from './delivery-chart.tsx';

afterEach(cleanup);

describe('the delivery chart', () => {
  it('says nothing was sent yet instead of drawing an empty chart', () => {
    render(<DeliveryChart timeline={{ bucketSeconds: 60, buckets: [] }} />);
    expect(screen.getByText(/Nothing sent yet/)).toBeTruthy();
    expect(document.querySelector('svg')).toBeNull();
  });

  it('draws one line per series and names their totals for screen readers and in the legend', () => {
    render(<DeliveryChart timeline={{ bucketSeconds: 60, buckets: [{ at: '2026-11-26T10:00:00.000Z', sent: 4, delivered: 3, read: 2, failed: 1 }] }} />);
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe('Delivery over time: 4 sent, 3 delivered, 2 read, 1 failed');
    expect([...document.querySelectorAll('path[data-series]')].map((p) => p.getAttribute('data-series'))).toEqual(['sent', 'delivered', 'read', 'failed']);
    expect(document.querySelector('figcaption')!.textContent).toContain('steps of 1 min');
  });
});
