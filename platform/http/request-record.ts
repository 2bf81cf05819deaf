/** One finished API request, as recorded for usage data and metrics. */
export interface RequestRecord {
  method: string;
  /** The route pattern (`/api/v1/channels/:id`), never the raw path with ids. */
  route: string;
  /** The raw path, for usage events. */
  path: string;
  status: number;
  durationMs: number;
  ip: string | null;
  userAgent: string | null;
  workspaceId: string | null;
  userId: string | null;
  at: Date;
}

/** Receives every finished request (usage events are batched by the implementation). */
export interface RequestObserver {
  observe(record: RequestRecord): void;
}
