import { AppError } from './app-error.ts';

/** An uploaded CSV is over the import's limits: the caller must split the file. */
export class ImportFileTooLargeError extends AppError {
  readonly code = 'payload_too_large';
  readonly disposition = 'user';
  constructor(readonly limit: { rows: number } | { bytes: number }) {
    super(
      'rows' in limit
        ? `the file has more than ${limit.rows.toLocaleString('en-US')} rows: split it into several imports`
        : `the file is larger than ${Math.round(limit.bytes / 1_048_576)} MB: split it into several imports`,
      { details: limit },
    );
  }
}
