import { z } from 'zod';

/**
 * A test chat message accepted (POST /v1/flows/:id/test-chat/messages): where it went (the test
 * contact's conversation) and which version of the flow answers it (`testing`, in words).
 */
export const TestMessageAcceptedDto = z.object({
  messageId: z.uuid(),
  conversationId: z.uuid(),
  contactId: z.uuid(),
  contactPhone: z.string(),
  flowVersionId: z.uuid(),
  testing: z.string(),
  duplicate: z.boolean(),
});
