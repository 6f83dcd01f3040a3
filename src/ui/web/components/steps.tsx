import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { getTextOrNull, seg } from '../api';
import { formatSeconds, formatTime } from '../format';
import { useLoad } from '../hooks';
import { hasFile } from '../run-fields';
import type { FileEntry, StepMeta } from '../types';
import { ArtifactsView } from './artifacts';
import { ErrorBox, Loading, StatusBadge, TableHead } from './common';
import { JsonText } from './json-view';

/** A workflow's steps; each opens to its input, output and artifacts. */
export function StepsView({ runId, steps, files }: { runId: string; steps: readonly StepMeta[]; files: readonly FileEntry[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (steps.length === 0) return <p class="muted">No steps.</p>;
  return (
    <div class="table-scroll">
      <table class="steps">
        <TableHead columns={['Step', 'Status', 'Agent', 'Started', { title: 'Duration', num: true }]} />
        <tbody>
          {steps.map((step) => (
            <Fragment key={step.step_id}>
              <tr data-step={step.step_id}>
                <td>
                  <button type="button" class="link-button" aria-expanded={open === step.step_id} onClick={() => setOpen(open === step.step_id ? null : step.step_id)}>
                    {open === step.step_id ? '▾' : '▸'} {step.name ?? step.step_id}
                  </button>
                </td>
                <td>
                  <StatusBadge status={step.status} />
                </td>
                <td>{step.agent_id ?? '–'}</td>
                <td>{formatTime(step.started_at)}</td>
                <td class="num">{formatSeconds(step.duration_seconds)}</td>
              </tr>
              {open === step.step_id ? (
                <tr>
                  <td colSpan={5}>
                    <StepContent runId={runId} stepId={step.step_id} files={files} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StepContent({ runId, stepId, files: runFiles }: { runId: string; stepId: string; files: readonly FileEntry[] }) {
  const base = `/api/v1/runs/${seg(runId)}/steps/${seg(stepId)}`;
  const read = (name: string, signal: AbortSignal): Promise<string | null> | null =>
    hasFile({ files: runFiles }, `steps/${stepId}/${name}.json`) ? getTextOrNull(`${base}/${name}`, signal) : null;
  const [files] = useLoad(async (signal) => Promise.all([read('input', signal), read('output', signal)]), [base]);
  if (files.state === 'loading') return <Loading what={`step ${stepId}`} />;
  if (files.state === 'error') return <ErrorBox error={files.error} />;
  return (
    <div class="step-content">
      <div class="two-columns">
        <div>
          <h4>Input</h4>
          <JsonText text={files.value[0]} empty="No input recorded." />
        </div>
        <div>
          <h4>Output</h4>
          <JsonText text={files.value[1]} empty="No output recorded." />
        </div>
      </div>
      <h4>Artifacts</h4>
      <ArtifactsView base={`${base}/artifacts`} />
    </div>
  );
}
