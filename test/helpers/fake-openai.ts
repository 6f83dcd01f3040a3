import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local stand-in for the OpenAI chat completions API. */
export interface FakeOpenAi {
  /** Base URL to give the client, ending in /v1. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Serves `POST /v1/chat/completions` on 127.0.0.1 with a fixed answer from `model` and the
 * given usage per call, in order (the last repeats); response ids are `chatcmpl-fake-{n}`.
 */
export async function startFakeOpenAi(model: string, usages: { prompt: number; completion: number }[]): Promise<FakeOpenAi> {
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
        usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
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
