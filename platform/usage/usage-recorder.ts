import { isIP } from 'node:net';
import type { RequestObserver, RequestRecord } from '../http/request-record.ts';
import type { Orm } from '../db/orm.ts';
import { newId } from '../ids.ts';
import { runSql } from '../pipeline/run-sql.ts';
import type { Logger } from '../logger.ts';

/** Rows written by one INSERT (one bound array per column). */
export const USAGE_BATCH_ROWS = 500;
/** How often the buffer is written when it is not full. */
export const USAGE_FLUSH_INTERVAL_MS = 1_000;
/** The most rows kept in memory while the database does not answer; the oldest go first. */
export const USAGE_BUFFER_MAX_ROWS = 20_000;

/** One statement for any batch size: each column is one bound array. */
const INSERT_USAGE_SQL = `
insert into usage_events (id, workspace_id, user_id, ip, user_agent, method, path, status, duration_ms, created_at)
select * from unnest(cast(:ids as uuid[]), cast(:workspaceIds as uuid[]), cast(:userIds as uuid[]), cast(:ips as inet[]),
                     cast(:userAgents as text[]), cast(:methods as text[]), cast(:paths as text[]), cast(:statuses as int[]),
                     cast(:durationsMs as real[]), cast(:ats as timestamptz[]))`;

const MAX_PATH_CHARS = 2_000;
const MAX_USER_AGENT_CHARS = 500;

interface UsageRow {
  id: string;
  workspaceId: string | null;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  at: Date;
}

export interface UsageRecorderOptions {
  orm: Orm;
  logger: Logger;
  /** Called with the number of rows dropped (buffer full, or a batch the database refused). */
  onDropped?: (rows: number) => void;
  batchRows?: number;
  flushIntervalMs?: number;
  bufferMaxRows?: number;
}

/**
 * Records one usage event per API request. `observe` only appends to an in-memory buffer, so a
 * request never waits for the database; a timer writes the buffer in batches, one multi-row
 * INSERT each. While the database is down the buffer keeps the newest rows up to a bound and
 * counts what it drops. `stop` writes what is left (called at shutdown).
 *
 * Only API requests are usage: health probes, metrics scrapes, the dashboard and static files
 * are operations traffic and would drown the table.
 */
export class UsageRecorder implements RequestObserver {
  private buffer: UsageRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private droppedRows = 0;
  private readonly batchRows: number;
  private readonly flushIntervalMs: number;
  private readonly bufferMaxRows: number;

  constructor(private readonly opts: UsageRecorderOptions) {
    this.batchRows = opts.batchRows ?? USAGE_BATCH_ROWS;
    this.flushIntervalMs = opts.flushIntervalMs ?? USAGE_FLUSH_INTERVAL_MS;
    this.bufferMaxRows = opts.bufferMaxRows ?? USAGE_BUFFER_MAX_ROWS;
  }

  /** Rows dropped since start. */
  get dropped(): number {
    return this.droppedRows;
  }

  /** Rows waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    // The timer alone must not keep the process alive; shutdown calls stop().
    this.timer.unref();
  }

  observe(record: RequestRecord): void {
    if (!isApiRequest(record)) return;
    this.buffer.push({
      id: newId(),
      workspaceId: record.workspaceId,
      userId: record.userId,
      ip: record.ip && isIP(record.ip) ? record.ip : null,
      userAgent: record.userAgent?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
      method: record.method,
      path: withoutIds(record.path).slice(0, MAX_PATH_CHARS),
      status: record.status,
      durationMs: record.durationMs,
      at: record.at,
    });
    this.trim();
    if (this.buffer.length >= this.batchRows) void this.flush();
  }

  /**
   * Writes buffered rows, one batch at a time, until the buffer is empty or a write fails.
   * Concurrent callers share the flush in progress.
   */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    // Rows observed while the last flush ran.
    if (this.buffer.length) await this.flush();
  }

  private async drain(): Promise<void> {
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.batchRows);
      try {
        await this.insert(batch);
      } catch (err) {
        if (isIntegrityViolation(err)) {
          // A row the database will never accept (its workspace was deleted meanwhile): retrying
          // would block every later batch, so the batch is dropped and counted.
          this.drop(batch.length);
          this.opts.logger.warn({ err, rows: batch.length }, 'usage events refused by the database; batch dropped');
          continue;
        }
        // The database is unavailable: keep the rows (oldest first) and try again on the next tick.
        this.buffer.unshift(...batch);
        this.trim();
        this.opts.logger.warn({ err, pending: this.buffer.length }, 'usage events not written; will retry');
        return;
      }
    }
  }

  private async insert(rows: UsageRow[]): Promise<void> {
    await runSql(this.opts.orm.em.fork(), INSERT_USAGE_SQL, {
      ids: rows.map((r) => r.id),
      workspaceIds: rows.map((r) => r.workspaceId),
      userIds: rows.map((r) => r.userId),
      ips: rows.map((r) => r.ip),
      userAgents: rows.map((r) => r.userAgent),
      methods: rows.map((r) => r.method),
      paths: rows.map((r) => r.path),
      statuses: rows.map((r) => r.status),
      durationsMs: rows.map((r) => r.durationMs),
      ats: rows.map((r) => r.at),
    });
  }

  private trim(): void {
    const excess = this.buffer.length - this.bufferMaxRows;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.drop(excess);
    }
  }

  private drop(rows: number): void {
    this.droppedRows += rows;
    this.opts.onDropped?.(rows);
  }
}

/**
 * An API request: a route of the API's table (patterns start with `/v1/`), or any path under
 * `/api/`. Both are checked because `path` is read when the response finishes, and inside the
 * `/api` router Express may still have the mount prefix stripped from it.
 */
function isApiRequest(record: RequestRecord): boolean {
  return record.route.startsWith('/v1/') || record.path.startsWith('/api/');
}

/** SQLSTATE class 23: the rows break a constraint, so the same batch can never succeed. */
function isIntegrityViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('23');
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * The path with every id replaced by `:id`: usage data says which kind of request was made, never
 * whose record it named (a contact's id in `/contacts/<id>/erase` would outlive their erasure,
 * since the request is recorded after its own answer).
 */
export function withoutIds(path: string): string {
  return path.replace(UUID, ':id');
}
