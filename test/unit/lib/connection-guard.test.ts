import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionGuard, connectionRoom } from '../../../src/lib/index.js';

describe('connectionRoom', () => {
  it('leaves the store 128 descriptors besides those open, at most 3/4 of the limit, never under 16', () => {
    expect(connectionRoom(256, 31)).toBe(97);
    expect(connectionRoom(1024, 31)).toBe(768);
    expect(connectionRoom(100, 60)).toBe(16);
  });
});

describe('ConnectionGuard', () => {
  const guard = (maxConnections: number | null, onLowered?: (configured: number, room: number) => void) =>
    new ConnectionGuard({ maxConnections, headerTimeoutMs: 1000, idleTimeoutMs: 1000, onLowered });

  it('lowers a budget past what the open-file limit leaves to that room, saying so', () => {
    const told: [number, number][] = [];
    const lowered = guard(10_000_000, (configured, room) => told.push([configured, room]));
    expect(lowered.maxConnections).toBe(guard(null).maxConnections);
    expect(told).toEqual([[10_000_000, lowered.maxConnections]]);
    expect(guard(20).maxConnections).toBe(20);
  });

  it('lets 16 refused connections at a time be answered; the others are cut', () => {
    const g = guard(20);
    const sockets = Array.from({ length: 20 }, () => new Socket());
    expect(sockets.map((s) => g.mayAnswer(s)).filter(Boolean)).toHaveLength(16);
    sockets[0]!.emit('close');
    expect(g.mayAnswer(new Socket())).toBe(true);
    expect(g.mayAnswer(new Socket())).toBe(false);
  });
});
