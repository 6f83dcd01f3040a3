import type { RunKind } from '../../model/index.js';
import type { Family, StatedStepStatus } from '../fields.js';
import { contentRule, hasPrefix, numberRule, textAt, textRule } from '../read.js';

/** The span event that carries a file the agent produced (CONVENTIONS.md §1). */
export const ARTIFACT_EVENT = 'paracle.artifact';

/** Attributes of an {@link ARTIFACT_EVENT}. */
export const ARTIFACT_ATTR = {
  name: 'artifact.name',
  content: 'artifact.content',
  contentBase64: 'artifact.content_base64',
  mimeType: 'artifact.mime_type',
  modified: 'artifact.modified',
} as const;

function asRunKind(value: string | undefined): RunKind | undefined {
  return value === 'agent' || value === 'workflow' ? value : undefined;
}

function asStepStatus(value: string | undefined): StatedStepStatus | undefined {
  return value === 'completed' || value === 'failed' || value === 'skipped' ? value : undefined;
}

const stepId = textRule('paracle.step.id');

/**
 * Our own attributes (`paracle.*`, CONVENTIONS.md §1): explicit statements by the agent,
 * so they come first wherever they apply. Roles and the marker read the span's own
 * attributes: a `paracle.agent.id` on the resource names the process's agent, it does not
 * make every span of the process an agent span.
 */
export const paracle = {
  role: {
    declared: (s) => {
      const kind = asRunKind(textAt(s.own, 'paracle.run.kind'));
      if (kind !== undefined) return kind;
      if (textAt(s.own, 'paracle.agent.id') !== undefined) return 'agent';
      return textAt(s.own, 'paracle.step.id') === undefined ? undefined : 'chain';
    },
  },
  marker: {
    attributes: (s) =>
      hasPrefix(s.own, 'paracle.') || s.span.events.some((e) => e.name === ARTIFACT_EVENT) ? true : undefined,
  },
  kind: {
    declared: (s) => asRunKind(textAt(s.attrs, 'paracle.run.kind')),
    workflowId: (s) => (textAt(s.attrs, 'paracle.workflow.id') === undefined ? undefined : 'workflow'),
  },
  workflowHint: {
    declared: (s) =>
      textAt(s.attrs, 'paracle.run.kind') === 'workflow' ||
      textAt(s.attrs, 'paracle.workflow.id') !== undefined ||
      stepId(s) !== undefined
        ? true
        : undefined,
  },
  agentId: { id: textRule('paracle.agent.id') },
  agentName: { name: textRule('paracle.agent.name') },
  workflowId: { id: textRule('paracle.workflow.id') },
  workflowName: { name: textRule('paracle.workflow.name') },
  stepId: { id: stepId },
  stepStatus: { declared: (s) => asStepStatus(textAt(s.attrs, 'paracle.step.status')) },
  input: { declared: contentRule('paracle.input') },
  output: { declared: contentRule('paracle.output') },
  costUsd: { reported: numberRule('paracle.cost_usd') },
  exitCode: { declared: numberRule('paracle.exit_code') },
  memoryMb: { declared: numberRule('paracle.resource.memory_mb') },
  cpuSeconds: { declared: numberRule('paracle.resource.cpu_seconds') },
  filesModified: { declared: numberRule('paracle.files_modified') },
  replayOf: { declared: textRule('paracle.replay_of') },
} satisfies Family;
