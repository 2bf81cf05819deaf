import { AppError } from './app-error.ts';

/** The export archive cannot be downloaded in its state: still being built (try later), failed or expired (request a new one). */
export class ExportNotReadyError extends AppError {
  readonly code = 'export_not_ready';
  readonly disposition = 'user';
  constructor(
    readonly exportId: string,
    readonly status: string,
  ) {
    super(
      status === 'expired'
        ? 'this export has expired (archives are kept 7 days): request a new one'
        : status === 'failed'
          ? 'this export failed: request a new one'
          : 'this export is still being built: download it when its status is ready',
      { details: { exportId, status } },
    );
  }
}
