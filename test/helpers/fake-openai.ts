import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local stand-in for the OpenAI chat completions API. */
export interface FakeOpenAi {
  /** Base URL to give the client, ending in /v1. */
  baseUrl: string;
  close(): Promise<void>;
}

/** The usage of one answer: counts, and OpenAI's `*_tokens_details` objects when given. */
export interface FakeUsage {
  prompt: number;
  completion: number;
  /** `usage.prompt_tokens_details`, e.g. `{ cached_tokens: 0, audio_tokens: 600 }`. */
  promptDetails?: Record<string, number>;
  /** `usage.completion_tokens_details`, e.g. `{ reasoning_tokens: 0, audio_tokens: 400 }`. */
  completionDetails?: Record<string, number>;
}

/**
 * Serves `POST /v1/chat/completions` on 127.0.0.1 with a fixed answer from `model` and the
 * given usage per call, in order (the last repeats); response ids are `chatcmpl-fake-{n}`.
 */
export async function startFakeOpenAi(model: string, usages: FakeUsage[]): Promise<FakeOpenAi> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const usage = usages[Math.min(calls, usages.length - 1)] ?? { prompt: 0, completion: 0 };
      calls++;
      const body = {
        id: `chatcmpl-fake-${calls}`,
        object: 'chat.completion',
        created: 1767695400,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: `answer ${calls}` }, finish_reason: 'stop', logprobs: null }],
        usage: {
          prompt_tokens: usage.prompt,
          completion_tokens: usage.completion,
          total_tokens: usage.prompt + usage.completion,
          ...(usage.promptDetails ? { prompt_tokens_details: usage.promptDetails } : {}),
          ...(usage.completionDetails ? { completion_tokens_details: usage.completionDetails } : {}),
        },
      };
      res.writeHead(req.url === '/v1/chat/completions' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
