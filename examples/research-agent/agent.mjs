// A small research agent instrumented with paracle/sdk. It runs offline: its "model" is a
// deterministic fake, so the same input and model always give the same run, and another
// model (a replay with --model) gives a visibly different answer.
//
//   node agent.mjs < input.json
//
// Input on stdin: {"question": "...", "documents": [{"title": "...", "text": "..."}]}.
import { text } from 'node:stream/consumers';
import { agentRun, artifact, init, llmCall, model, shutdown, toolCall, usage } from 'paracle/sdk';
import { FakeModel } from './fake-model.mjs';

const AGENT_ID = 'research-agent';

/** The tools the model may call. */
const tools = {
  /** Documents whose title or text mention any word of the query. */
  search: ({ query }, documents) => {
    const words = query.toLowerCase().split(/\W+/).filter((w) => w.length > 3);
    return documents
      .filter((d) => words.some((w) => `${d.title} ${d.text}`.toLowerCase().includes(w)))
      .map((d) => d.title);
  },
  /** Words in one document. */
  word_count: ({ title }, documents) => {
    const doc = documents.find((d) => d.title === title);
    return doc ? doc.text.split(/\s+/).filter(Boolean).length : 0;
  },
};

async function research(input) {
  const documents = Array.isArray(input.documents) ? input.documents : [];
  const llm = new FakeModel(model('fake-small'));
  const call = (prompt) =>
    llmCall({ provider: 'fake', model: llm.name }, async () => {
      const reply = llm.complete(prompt);
      usage({ input: reply.inputTokens, output: reply.outputTokens });
      return reply;
    });

  const plan = await call({ question: input.question, tools: Object.keys(tools) });
  const observations = [];
  for (const request of plan.toolCalls) {
    const result = await toolCall(request.name, request.args, () => tools[request.name](request.args, documents));
    observations.push({ tool: request.name, args: request.args, result });
  }
  const final = await call({ question: input.question, observations });
  artifact('report.md', `# ${input.question}\n\n${final.text}\n\n## Sources\n\n${final.sources.map((s) => `- ${s}`).join('\n')}\n`, {
    mimeType: 'text/markdown',
  });
  return { answer: final.text, sources: final.sources, model: llm.name };
}

init({ serviceName: AGENT_ID });
try {
  const input = JSON.parse(await text(process.stdin));
  const output = await agentRun(AGENT_ID, input, () => research(input));
  process.stdout.write(`${JSON.stringify(output)}\n`);
} finally {
  await shutdown();
}
