// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { renderInApp } from '../test-support/render-in-app.tsx';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-client.ts';
import { ErrorWithDetails, shownError } from './error-with-details.tsx';

afterEach(cleanup);

describe('an API refusal shown with its details', () => {
  it('lists each problem under the message, with where it is', () => {
    const error = new ApiError(400, 'broadcast_invalid', 'the broadcast has a problem', [
      { code: 'schedule_in_past', path: 'schedule.localTime', message: 'is in the past' },
    ]);
    renderInApp(<ErrorWithDetails error={shownError(error)} />);
    expect(screen.getByRole('alert').textContent).toBe('the broadcast has a problem');
    expect(screen.getByRole('list', { name: 'Problems to fix' }).textContent).toBe('schedule.localTime is in the past');
  });

  it('reads a segment problem located by a list of keys', () => {
    const error = new ApiError(400, 'validation_failed', 'the segment rule has 1 problem', [
      { code: 'segment_unknown_contact_field', path: ['and', 0, '=='], message: 'contact.nmae is not a contact field' },
    ]);
    expect(shownError(error).problems).toEqual([{ path: 'and.0.==', message: 'contact.nmae is not a contact field' }]);
  });

  it('shows the message alone for a failure without details', () => {
    expect(shownError(new Error('offline'))).toEqual({ message: 'offline', problems: [] });
    renderInApp(<ErrorWithDetails error={shownError(new Error('offline'))} />);
    expect(screen.queryByRole('list')).toBeNull();
  });
});
