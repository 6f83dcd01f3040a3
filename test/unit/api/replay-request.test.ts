import { describe, expect, it } from 'vitest';
import { replayRequestFrom } from '../../../src/api/index.js';

describe('the replay request body', () => {
  it('takes model and timeout_s, both optional, null as absent', () => {
    expect(replayRequestFrom({})).toEqual({});
    expect(replayRequestFrom({ model: 'gpt-5-mini', timeout_s: 90 })).toEqual({ model: 'gpt-5-mini', timeoutS: 90 });
    expect(replayRequestFrom({ model: null, timeout_s: null })).toEqual({});
  });

  it('refuses anything else with one sentence', () => {
    const refused = (body: unknown): string => {
      try {
        replayRequestFrom(body);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refused([])).toMatch(/must be a JSON object/);
    expect(refused({ model: 'a', command: ['sh'] })).toBe('unknown field "command" in the request body; the fields are model and timeout_s');
    expect(refused({ model: '' })).toMatch(/^model must be a non-empty string/);
    expect(refused({ model: 'a\u0000b' })).toMatch(/without control characters/);
    expect(refused({ model: 'x'.repeat(257) })).toMatch(/at most 256/);
    expect(refused({ timeout_s: 0 })).toMatch(/^timeout_s must be/);
    expect(refused({ timeout_s: '60' })).toMatch(/^timeout_s must be/);
    expect(refused({ timeout_s: 3_000_000 })).toMatch(/at most 2000000/);
  });
});
