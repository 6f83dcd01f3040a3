import type { Family } from '../fields.js';
import { textRule } from '../read.js';

/**
 * Spring AI (Micrometer observations bridged to OpenTelemetry): the ChatClient's
 * conversation. Its `gen_ai.*` names are read by the GenAI family; its ChatClient span
 * (`gen_ai.operation.name=framework`, `gen_ai.system=spring_ai`) is structure, not a provider.
 */
export const springAi = {
  session: { conversation: textRule('spring.ai.chat.client.conversation.id') },
} satisfies Family;
