/** One server-sent event: its name ("message" when unnamed) and its data parsed as JSON when it is JSON. */
export interface ServerEvent {
  event: string;
  data: unknown;
}

/**
 * Reads server-sent events from a fetch response (ApiClient.stream, which the session cookie
 * goes with): the stream shares the client's abort signal and status handling, which
 * `EventSource` would not give.
 */
export async function readServerEvents(res: Response, onEvent: (event: ServerEvent) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let boundary: number;
    while ((boundary = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      const text = data.join('\n');
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Plain-text data stays text.
      }
      onEvent({ event, data: parsed });
    }
  }
}
