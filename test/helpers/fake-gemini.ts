import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted `generateContent` answer: the model's content and its Gemini usage counts. */
export interface GeminiReply {
  parts: Record<string, unknown>[];
  usage: { promptTokenCount: number; candidatesTokenCount: number; cachedContentTokenCount?: number; thoughtsTokenCount?: number };
}

/** A local stand-in for the Gemini API (`@google/genai` reaches it through `GOOGLE_GEMINI_BASE_URL`). */
export interface FakeGemini {
  /** Base URL to give the client, without the API version. */
  baseUrl: string;
  /** Request paths served so far, in order. */
  paths: string[];
  close(): Promise<void>;
}

/**
 * Serves `POST /v1beta/models/{model}:generateContent` on 127.0.0.1 with `replies` in order
 * (the last repeats), as the Gemini API answers: one candidate, `usageMetadata` with
 * `totalTokenCount` = prompt + candidates + thoughts. Any other path is a 404.
 */
export async function startFakeGemini(model: string, replies: GeminiReply[]): Promise<FakeGemini> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const reply = replies[Math.min(paths.length, replies.length - 1)];
      paths.push(req.url ?? '');
      if (reply === undefined || req.url !== `/v1beta/models/${model}:generateContent`) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404}}');
        return;
      }
      const { promptTokenCount, candidatesTokenCount, thoughtsTokenCount = 0 } = reply.usage;
      const body = {
        candidates: [{ index: 0, finishReason: 'STOP', content: { role: 'model', parts: reply.parts } }],
        usageMetadata: { ...reply.usage, totalTokenCount: promptTokenCount + candidatesTokenCount + thoughtsTokenCount },
        modelVersion: model,
        responseId: `gemini-fake-${paths.length}`,
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
