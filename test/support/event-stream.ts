/** A server-sent events stream read by a test: what has arrived so far, and a way to close it. */
export interface OpenStream {
  status: number;
  contentType: string | null;
  /** Everything received so far. */
  text(): string;
  /** The events received so far, parsed. */
  events(): { event: string; data: any }[];
  close(): Promise<void>;
}

/** Opens `path` with the bearer token and reads it in the background until closed. */
export async function openEventStream(baseUrl: string, path: string, token: string): Promise<OpenStream> {
  const controller = new AbortController();
  const res = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  let text = '';
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => undefined);
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    text: () => text,
    events: () =>
      text
        .split('\n\n')
        .map((block) => {
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          return event && data ? { event, data: JSON.parse(data) } : null;
        })
        .filter((e): e is { event: string; data: any } => e !== null),
    async close() {
      controller.abort();
      await reading;
    },
  };
}
