import { describe, expect, it } from 'vitest';
import { buildTree } from '../../../src/semconv/tree.js';
import { TraceBuilder } from '../../helpers/span-builder.js';

describe('buildTree attribute maps', () => {
  it('gives a span without attributes its resource attributes, and one with attributes both (its own winning)', () => {
    const b = new TraceBuilder({ resource: { 'service.name': 'svc', 'deployment.environment': 'prod' } });
    const root = b.span('root', { attributes: { 'service.name': 'own', 'gen_ai.agent.id': 'coder' } });
    b.span('bare', { parent: root, startMs: 1 });
    const tree = buildTree(b.spans, () => 'other')!;
    const [top, bare] = tree.byStart;
    expect(Object.fromEntries(bare!.attrs)).toEqual({ 'service.name': 'svc', 'deployment.environment': 'prod' });
    expect(bare!.own.size).toBe(0);
    expect(Object.fromEntries(top!.attrs)).toEqual({ 'service.name': 'own', 'deployment.environment': 'prod', 'gen_ai.agent.id': 'coder' });
    expect(Object.fromEntries(top!.own)).toEqual({ 'service.name': 'own', 'gen_ai.agent.id': 'coder' });
    expect(Object.fromEntries(top!.resource)).toEqual({ 'service.name': 'svc', 'deployment.environment': 'prod' });
  });
});
