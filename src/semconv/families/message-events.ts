import { attributeMap, plainObject, plainValue } from '../../model/index.js';
import type { LogRecord, PlainValue } from '../../model/index.js';
import type { Family, Rule } from '../fields.js';
import { contentAt, logEventName } from '../read.js';
import type { SpanNode } from '../tree.js';

/** Pre-v1.37 per-message events (span events or log records) → the message role. */
const MESSAGE_EVENTS: ReadonlyMap<string, string> = new Map([
  ['gen_ai.system.message', 'system'],
  ['gen_ai.user.message', 'user'],
  ['gen_ai.assistant.message', 'assistant'],
  ['gen_ai.tool.message', 'tool'],
]);
const CHOICE_EVENT = 'gen_ai.choice';
const DETAILS_EVENT = 'gen_ai.client.inference.operation.details';

/** One event or log record of a span, with its name and fields as plain values. */
interface Emitted {
  name: string;
  fields: Record<string, PlainValue>;
}


/** A log record's fields: its attributes, and its body (an object spread in, else `content`). */
function logFields(log: LogRecord): Record<string, PlainValue> {
  const fields = plainObject(log.attributes.filter((kv) => kv.key !== 'event.name'));
  const body = plainValue(log.body);
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { ...fields, ...body };
  if (body !== null && body !== '') fields.content = body;
  return fields;
}

/** The span's events, then the log records naming it, in their order. */
function emitted(s: SpanNode): Emitted[] {
  return [
    ...s.span.events.map((e) => ({ name: e.name, fields: plainObject(e.attributes) })),
    ...s.logs.map((log) => ({ name: logEventName(log), fields: logFields(log) })),
  ];
}

/** Without the provider name the older events repeat on every one of them. */
function messageOf(role: string, fields: Record<string, PlainValue>): PlainValue {
  const message: Record<string, PlainValue> = { role };
  for (const [key, value] of Object.entries(fields)) if (key !== 'gen_ai.system' && key !== 'gen_ai.provider.name') message[key] = value;
  return message;
}

const legacyInput: Rule<PlainValue> = (s) => {
  const messages = emitted(s).flatMap((e) => {
    const role = MESSAGE_EVENTS.get(e.name);
    return role === undefined ? [] : [messageOf(role, e.fields)];
  });
  return messages.length === 0 ? undefined : messages;
};

const legacyOutput: Rule<PlainValue> = (s) => {
  const choices = emitted(s).flatMap((e) => (e.name === CHOICE_EVENT ? [messageOf('assistant', e.fields)] : []));
  return choices.length === 0 ? undefined : choices.length === 1 ? choices[0] : choices;
};

/** Rule: `key` of the `gen_ai.client.inference.operation.details` log record naming the span. */
function detailsLog(key: string): Rule<PlainValue> {
  return (s) => {
    for (const log of s.logs) {
      if (logEventName(log) !== DETAILS_EVENT) continue;
      const value = contentAt(attributeMap(log.attributes), key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

/**
 * Message content that is not on the span itself: the v1.37+ details event sent as a log
 * record (Google ADK's latest-experimental mode, the OTel GenAI utilities), and the older
 * per-message events `gen_ai.{system,user,assistant,tool}.message` and `gen_ai.choice`, as
 * span events (Strands) or log records (Semantic Kernel, Microsoft Agent Framework).
 */
export const messageEvents = {
  input: { detailsLog: detailsLog('gen_ai.input.messages'), legacy: legacyInput },
  output: { detailsLog: detailsLog('gen_ai.output.messages'), legacy: legacyOutput },
} satisfies Family;
