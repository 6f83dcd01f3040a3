// A deterministic stand-in for an LLM: the same prompt and model name always give the same
// reply, and token counts follow the text (about four characters per token).

const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));

export class FakeModel {
  constructor(name) {
    this.name = name;
  }

  /**
   * A first prompt (no observations yet) gets tool calls: search the documents, then count
   * the words of the first one. A prompt with observations gets the answer, phrased by model.
   */
  complete(prompt) {
    const promptText = JSON.stringify(prompt);
    const reply = prompt.observations ? this.answer(prompt) : this.plan(prompt);
    return { ...reply, inputTokens: tokens(promptText), outputTokens: tokens(JSON.stringify(reply)) };
  }

  plan(prompt) {
    return { text: 'I will search the documents.', toolCalls: [{ name: 'search', args: { query: prompt.question } }], sources: [] };
  }

  answer(prompt) {
    const found = prompt.observations.find((o) => o.tool === 'search')?.result ?? [];
    const sources = [...found].sort();
    const brief = this.name.includes('small');
    const text = brief
      ? `${sources.length} document(s) answer "${prompt.question}": ${sources.join(', ') || 'none'}.`
      : `Asked "${prompt.question}", I read ${sources.length} relevant document(s). ` +
        `The most relevant are ${sources.join(' and ') || 'none'}; each addresses the question directly.`;
    return { text, toolCalls: [], sources };
  }
}
