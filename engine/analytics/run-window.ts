/** Most runs one flow-analytics window reads (the last N runs, or the runs of a date range, most recent first). */
export const MAX_WINDOW_RUNS = 100_000;
