import { join } from 'node:path';
import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/lib/index.js';
import {
  newRunId,
  runDirectory,
} from '../../../src/store/index.js';
import { isInside, isValidRunId, sanitizeArtifactPath, sanitizeStepId } from '../../../src/store/layout.js';
import { START_MS } from './records.js';

describe('newRunId', () => {
  it('is a ULID whose time part is the start time', () => {
    const id = newRunId(START_MS);
    expect(id).toHaveLength(26);
    expect(isValidRunId(id)).toBe(true);
    expect(decodeTime(id)).toBe(START_MS);
  });

  it('floors fractional milliseconds and differs between calls', () => {
    const a = newRunId(START_MS + 0.9);
    const b = newRunId(START_MS + 0.9);
    expect(decodeTime(a)).toBe(START_MS);
    expect(a).not.toBe(b);
  });

  it('sorts by start time', () => {
    const ids = [newRunId(START_MS + 2000), newRunId(START_MS), newRunId(START_MS + 1000)];
    expect([...ids].sort().map(decodeTime)).toEqual([START_MS, START_MS + 1000, START_MS + 2000]);
  });

  it('clamps a negative time to the epoch and refuses a non-number', () => {
    expect(decodeTime(newRunId(-5))).toBe(0);
    expect(() => newRunId(Number.NaN)).toThrow(InvalidInputError);
  });
});

describe('isValidRunId', () => {
  it.each([
    ['01HN7X8K9M2PQRSTVVWXYZ3456', true],
    ['01hn7x8k9m2pqrstvvwxyz3456', false],
    ['01HN7X8K9M2PQRSTUVWXYZ3456', false],
    ['01HN7X8K9M2PQRSTVVWXYZ345', false],
    ['81HN7X8K9M2PQRSTVVWXYZ3456', false],
    ['../../etc/passwd', false],
    ['', false],
  ])('%s → %s', (id, valid) => {
    expect(isValidRunId(id)).toBe(valid);
  });
});

describe('runDirectory', () => {
  it('places agents and workflows in their folders', () => {
    const id = newRunId(START_MS);
    expect(runDirectory('/r', 'agent', id)).toBe(join('/r', 'agents', id));
    expect(runDirectory('/r', 'workflow', id)).toBe(join('/r', 'workflows', id));
  });

  it('refuses anything that is not a run id', () => {
    expect(() => runDirectory('/r', 'agent', '../x')).toThrow(InvalidInputError);
  });
});

describe('sanitizeArtifactPath', () => {
  it.each([
    ['report.md', 'report.md'],
    ['out/sub/file.txt', 'out/sub/file.txt'],
    ['../../etc/passwd', 'etc/passwd'],
    ['/etc/passwd', 'etc/passwd'],
    ['a/../../b', 'a/b'],
    ['./a/./b/', 'a/b'],
    ['..\\..\\windows\\win.ini', 'windows/win.ini'],
    ['C:\\Users\\x\\file.txt', 'Users/x/file.txt'],
    ['c:file.txt', 'file.txt'],
    ['a//b\\\\c', 'a/b/c'],
    ['re\u0000po\nrt\u007f.md', 'report.md'],
    ['.\u0001./x', 'x'],
    ['...', '...'],
    ['.hidden', '.hidden'],
    ['', 'artifact'],
    ['../..', 'artifact'],
    ['/', 'artifact'],
    ['\u0000\u001f', 'artifact'],
  ])('%j → %j', (name, expected) => {
    expect(sanitizeArtifactPath(name)).toBe(expected);
  });

  it('caps each segment at 255 bytes without splitting a character', () => {
    const long = sanitizeArtifactPath(`${'é'.repeat(200)}/x`);
    const [first, second] = long.split('/');
    expect(Buffer.byteLength(first ?? '')).toBe(254);
    expect(first).toBe('é'.repeat(127));
    expect(second).toBe('x');
  });

  it('caps the whole path at 1024 bytes, cutting the last segment that fits', () => {
    const name = Array.from({ length: 12 }, () => 'a'.repeat(100)).join('/');
    const result = sanitizeArtifactPath(name);
    expect(Buffer.byteLength(result)).toBe(1024);
    expect(result.split('/').map((segment) => segment.length)).toEqual([...Array<number>(10).fill(100), 14]);
  });

  it('drops segments once the cap leaves no room', () => {
    const name = Array.from({ length: 10 }, () => 'a'.repeat(255)).join('/');
    expect(sanitizeArtifactPath(name).split('/').map((segment) => segment.length)).toEqual([255, 255, 255, 255]);
  });
});

describe('sanitizeStepId', () => {
  it.each([
    ['plan', 'plan'],
    ['step-2', 'step-2'],
    ['a/b', 'a-b'],
    ['../x', 'x'],
    ['..', 'step'],
    ['.', 'step'],
    ['', 'step'],
    ['\u0000', 'step'],
    ['D:\\a', 'a'],
  ])('%j → %j', (id, expected) => {
    expect(sanitizeStepId(id)).toBe(expected);
  });

  it('caps at 255 bytes', () => {
    expect(sanitizeStepId('x'.repeat(400))).toHaveLength(255);
  });
});

describe('isInside', () => {
  it.each([
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/b/c/d', true],
    ['/a/b', '/a/b/..c', true],
    ['/a/b', '/a/b', false],
    ['/a/b', '/a/bc', false],
    ['/a/b', '/a/b/../c', false],
    ['/a/b', '/etc/passwd', false],
  ])('%s contains %s: %s', (parent, child, inside) => {
    expect(isInside(parent, child)).toBe(inside);
  });
});

describe('newRunId with a trace id', () => {
  it('is the same for the same trace and start, and keeps the start time', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const a = newRunId(1_767_695_400_123, traceId);
    expect(a).toBe(newRunId(1_767_695_400_123, traceId));
    expect(isValidRunId(a)).toBe(true);
    expect(decodeTime(a)).toBe(1_767_695_400_123);
    expect(a).not.toBe(newRunId(1_767_695_400_123, '5bf92f3577b34da6a3ce929d0e0e4736'));
    expect(a).not.toBe(newRunId(1_767_695_400_124, traceId));
  });
});
