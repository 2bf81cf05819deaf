import { z } from 'zod';
import { SegmentRuleSchema } from '../../engine/broadcasts/broadcast-spec.ts';
import { automatedSendBlocker } from '../../engine/contacts/automated-send-blocker.ts';
import { scanSegment, type SegmentContact } from '../../platform/broadcasts/segment-scan.ts';
import { SegmentPreviewDto } from '../dto/broadcast.dto.ts';
import { defineRoute } from '../route.ts';

/** Contacts a preview shows, oldest first. */
const PREVIEW_SAMPLE_SIZE = 20;

export const segmentRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/segments/preview',
    summary: 'How many contacts a segment rule matches, how many of them a broadcast would skip and why, and the first 20 (oldest first)',
    tag: 'segments',
    auth: 'broadcasts.read',
    body: z.strictObject({ rule: SegmentRuleSchema }),
    response: SegmentPreviewDto,
    exampleBody: { rule: { and: [{ in: ['vip', { var: 'contact.tags' }] }, { '==': [{ var: 'contact.attributes.plan' }, 'pro'] }] } },
    async handler({ em, auth, body }): Promise<SegmentPreviewDto> {
      const excluded: SegmentPreviewDto['excluded'] = { opted_out: 0, restricted: 0, erased: 0 };
      const sample: SegmentContact[] = [];
      // An invalid rule throws SegmentInvalidError before any read: 400 with every problem.
      const { matched } = await scanSegment(em, { workspaceId: auth.workspaceId, rule: body.rule }, (contacts) => {
        for (const contact of contacts) {
          // The same precedence as the send path: erased, then opted out, then restricted.
          const reason = automatedSendBlocker(contact, 'broadcast');
          if (reason !== null) excluded[reason] += 1;
          if (sample.length < PREVIEW_SAMPLE_SIZE) sample.push(contact);
        }
      });
      return { count: matched, excluded, sample: sample.map((c) => ({ id: c.id, name: c.name, phone: c.phone, tags: c.tags })) };
    },
  }),
];
