import type { Family } from '../fields.js';
import { slugRule, textAt } from '../read.js';
import type { SpanNode } from '../tree.js';

const agentName = slugRule('gen_ai.agent.name');

/** What Strands puts in the provider slot on every span (TypeScript SDK: its service name). */
const STRANDS = 'strands-agents';

function isStrands(s: SpanNode): boolean {
  const system = textAt(s.own, 'gen_ai.provider.name') ?? textAt(s.own, 'gen_ai.system');
  return system === STRANDS || s.span.origin.scope.name.startsWith('strands');
}

/**
 * AWS Strands Agents (`strands-agents`, `@strands-agents/sdk`): its agent spans report the
 * usage accumulated by the Agent object over every run so far (FRAMEWORKS-2026 §2.8), so it
 * counts only when no span below reports usage; the TypeScript loop-cycle span carries no
 * operation name. The TypeScript SDK's `gen_ai.agent.id` is its session key, `agent` for
 * every agent unless configured (`DEFAULT_AGENT_ID`, src/agent/agent.ts in 1.19.0): the
 * agent is its name.
 */
export const strands = {
  agentId: { name: (s) => (isStrands(s) ? agentName(s) : undefined) },
  role: { loopCycle: (s) => (s.name === 'execute_agent_loop_cycle' && isStrands(s) ? 'chain' : undefined) },
  cumulativeUsage: {
    agentSpan: (s) => (textAt(s.own, 'gen_ai.operation.name') === 'invoke_agent' && isStrands(s) ? true : undefined),
  },
} satisfies Family;
