import { useState } from 'preact/hooks';
import { postJson, seg } from '../api';
import { navigate } from '../router';
import type { RunMeta } from '../types';
import { ErrorBox } from './common';

/**
 * Replays a run (`POST /api/v1/runs/{id}/replay`, operator role) with an optional other
 * model, then follows the new run. Shown only to operators and admins.
 */
export function ReplayControl({ run }: { run: RunMeta }) {
  const [open, setOpen] = useState(false);
  const [model, setModel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = model.trim() === '' ? {} : { model: model.trim() };
      const answer = await postJson<{ run_id: string; status: string }>(`/api/v1/runs/${seg(run.run_id)}/replay`, body);
      navigate(`/runs/${answer.run_id}`);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  if (!open) {
    return (
      <button type="button" class="primary" data-testid="replay" onClick={() => setOpen(true)}>
        Replay…
      </button>
    );
  }
  return (
    <form class="replay-form" onSubmit={(event) => void submit(event)} aria-label="Replay this run">
      <label>
        Model <input value={model} placeholder={typeof run.model === 'string' ? run.model : 'as recorded'} onInput={(e) => setModel((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Starting…' : 'Replay'}
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
