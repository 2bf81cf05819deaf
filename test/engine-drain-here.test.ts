import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOX_QUEUE } from '../platform/automation/engine-queues.ts';
import { testSql } from './support/test-sql.ts';
import { eventually } from './support/eventually.ts';
import { scriptedHandler, startDrainHarness, type DrainHarness } from './support/drain-harness.ts';

let harness: DrainHarness;
const script = scriptedHandler();
const handled = script.handled;

async function engineState(messageId: string): Promise<{ handled: boolean; failures: number | null }> {
  const { rows } = await testSql<{ handled: boolean; failures: number | null }>(
    harness.env.orm.em.fork(),
    `select handled_at is not null as handled, cast(metadata #>> '{engine,failures}' as integer) as failures from messages where id = :id`,
    { id: messageId },
  );
  return rows[0]!;
}

async function inboxJobs(): Promise<number> {
  const counts = await harness.queues.queue(INBOX_QUEUE).getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  harness = await startDrainHarness(script.handler, 'Drain here');
});

afterAll(async () => {
  await harness?.queues.close();
  await harness?.env.cleanup();
});

describe('before the process runs the inbox worker', () => {
  it('an accepted message gets a drain job', async () => {
    const first = await harness.say('+15557100001', 'queued as a job');
    await harness.drain.accepted(first.conversationId, first.messageId);
    expect(await harness.queues.queue(INBOX_QUEUE).getJob(first.messageId)).toBeDefined();
    expect(await engineState(first.messageId)).toEqual({ handled: false, failures: null });
  });
});

describe('once the process runs the inbox worker', () => {
  it('drains the conversation of an accepted message here, with no job, in arrival order', async () => {
    harness.drain.startWorker();
    // The job of the previous test is drained by the worker now.
    await eventually(async () => ((await inboxJobs()) === 0 ? true : undefined));
    const texts = ['one', 'two', 'three', 'four'];
    const accepted: { conversationId: string; messageId: string }[] = [];
    for (const text of texts) accepted.push(await harness.say('+15557100002', text));
    await Promise.all(accepted.map((a) => harness.drain.accepted(a.conversationId, a.messageId)));
    await eventually(async () => ((await engineState(accepted.at(-1)!.messageId)).handled ? true : undefined));
    expect(handled.filter((t) => texts.includes(t))).toEqual(texts);
    expect(await inboxJobs()).toBe(0);
  });

  it('hands a drain that failed here to a drain job, which retries it until it is handled', async () => {
    // Fails in its batch and alone here (one failure counted), then in the job's batch; the job's attempt alone succeeds.
    script.failWith('fails three times', 3);
    const flaky = await harness.say('+15557100003', 'fails three times');
    const next = await harness.say('+15557100003', 'after the failures');
    await harness.drain.accepted(flaky.conversationId, flaky.messageId);
    await harness.drain.accepted(next.conversationId, next.messageId);
    await eventually(async () => ((await engineState(next.messageId)).handled ? true : undefined));
    expect(await engineState(flaky.messageId)).toEqual({ handled: true, failures: 1 });
    expect(handled.slice(-2)).toEqual(['fails three times', 'after the failures']);
  });

  it('stop waits for the drains asked for here; later messages get jobs again', async () => {
    const a = await harness.say('+15557100004', 'before stop');
    await harness.drain.accepted(a.conversationId, a.messageId);
    await harness.drain.stop();
    expect(await engineState(a.messageId)).toMatchObject({ handled: true });
    const b = await harness.say('+15557100004', 'after stop');
    await harness.drain.accepted(b.conversationId, b.messageId);
    await eventually(async () => ((await engineState(b.messageId)).handled ? true : undefined));
  });
});
