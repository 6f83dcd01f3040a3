import { readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryableError } from '../../../src/lib/index.js';
import { silentLogger } from '../../../src/telemetry/index.js';
import { encodeRecord, parseSegment, RecordType, WriteAheadLog, type WalOptions } from '../../../src/wal/index.js';
import { makeTempDir, removeTempDir } from '../../helpers/daemon.js';
import { captureLogger } from '../../helpers/log-capture.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('paracle-wal-');
});
afterEach(async () => {
  await removeTempDir(dir);
});

const options = (extra: Partial<WalOptions> = {}): WalOptions => ({ dir, sync: 'always', segmentBytes: 1 << 20, ...extra });
const payload = (text: string) => Buffer.from(text);
const noSync = (): Promise<void> => Promise.resolve();

describe('WAL records', () => {
  it('round-trip and stop at a torn or corrupt record', () => {
    const a = encodeRecord(RecordType.TRACES_JSON, payload('first'));
    const b = encodeRecord(RecordType.TRACES_PROTOBUF, payload('second'));
    const whole = parseSegment(Buffer.concat([a, b]));
    expect(whole.problem).toBeNull();
    expect(whole.records.map((r) => [r.type, r.payload.toString()])).toEqual([[2, 'first'], [1, 'second']]);

    const torn = parseSegment(Buffer.concat([a, b.subarray(0, b.length - 3)]));
    expect(torn.records).toHaveLength(1);
    expect(torn.validBytes).toBe(a.length);
    expect(torn.problem).toMatch(/cut short/);

    const flipped = Buffer.concat([a, b]);
    flipped[flipped.length - 1]! ^= 0xff;
    expect(parseSegment(flipped).problem).toMatch(/checksum/);
  });
});

describe('WriteAheadLog', () => {
  it('makes appends durable and replays them after a reopen, in order', async () => {
    const { wal } = await WriteAheadLog.open(options(), silentLogger());
    await Promise.all(['a', 'b', 'c'].map((t) => wal.append(RecordType.TRACES_JSON, payload(t), [t])));
    await wal.append(RecordType.TRACES_JSON, payload('d'), ['d']);
    // No close: as after a kill -9, only what append promised is relied on.
    const { recovered } = await WriteAheadLog.open(options(), silentLogger());
    expect(recovered.flatMap((s) => s.records.map((r) => r.payload.toString()))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('cuts off a torn tail with a log line and keeps the records before it', async () => {
    const { wal } = await WriteAheadLog.open(options(), silentLogger());
    await wal.append(RecordType.TRACES_JSON, payload('kept'), ['t1']);
    await wal.append(RecordType.TRACES_JSON, payload('torn away'), ['t2']);
    await wal.close();
    const [segment] = await readdir(dir);
    const path = join(dir, segment!);
    await truncate(path, (await stat(path)).size - 4);
    const { logger, messages } = captureLogger();
    const { recovered } = await WriteAheadLog.open(options(), logger);
    expect(recovered.flatMap((s) => s.records.map((r) => r.payload.toString()))).toEqual(['kept']);
    expect(messages()).toEqual(['write-ahead log: skipping a torn record at the end of a segment']);
    expect((await stat(path)).size).toBe(encodeRecord(RecordType.TRACES_JSON, payload('kept')).length);
  });

  it('rotates full segments and deletes sealed ones only when all their traces are settled', async () => {
    const { wal } = await WriteAheadLog.open(options({ segmentBytes: 64 }), silentLogger());
    for (const trace of ['t1', 't2', 't3']) await wal.append(RecordType.TRACES_JSON, payload('x'.repeat(60)), [trace]);
    expect(await readdir(dir)).toHaveLength(3);
    const settled = new Set(['t1']);
    expect(await wal.checkpoint((id) => settled.has(id), noSync)).toBe(1);
    expect(await readdir(dir)).toHaveLength(2);
    settled.add('t3');
    expect(await wal.checkpoint((id) => settled.has(id), noSync)).toBe(1);
    settled.add('t2');
    expect(await wal.checkpoint((id) => settled.has(id), noSync)).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('seals an old segment so a quiet daemon can still checkpoint it', async () => {
    let now = 0;
    const { wal } = await WriteAheadLog.open(options({ segmentMaxAgeMs: 1000, now: () => now }), silentLogger());
    await wal.append(RecordType.TRACES_JSON, payload('x'), ['t1']);
    expect(await wal.checkpoint(() => true, noSync)).toBe(0);
    now = 1000;
    expect(await wal.checkpoint(() => true, noSync)).toBe(1);
  });

  it('refuses appends after close with a retryable error', async () => {
    const { wal } = await WriteAheadLog.open(options(), silentLogger());
    await wal.close();
    await expect(wal.append(RecordType.TRACES_JSON, payload('late'), ['t'])).rejects.toBeInstanceOf(RetryableError);
  });

  it('makes the store durable before deleting a settled segment, and deletes nothing when that fails', async () => {
    const { wal } = await WriteAheadLog.open(options({ segmentBytes: 16 }), silentLogger());
    await wal.append(RecordType.TRACES_JSON, payload('x'.repeat(20)), ['t1']);
    await wal.append(RecordType.TRACES_JSON, payload('x'.repeat(20)), ['t2']);
    const failing = (): Promise<void> => Promise.reject(new Error('EIO'));
    await expect(wal.checkpoint(() => true, failing)).rejects.toThrow('EIO');
    expect(await readdir(dir)).toHaveLength(2);
    let segmentsWhenSynced: string[] = [];
    expect(await wal.checkpoint(() => true, async () => void (segmentsWhenSynced = await readdir(dir)))).toBe(2);
    expect(segmentsWhenSynced).toHaveLength(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('adaptive: syncs a lone append at once, with no timer to wait for', async () => {
    const { wal } = await WriteAheadLog.open(options({ sync: 'adaptive' }), silentLogger());
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      await wal.append(RecordType.TRACES_JSON, payload('alone'), ['t1']);
    } finally {
      vi.useRealTimers();
    }
    await wal.close();
    const { recovered } = await WriteAheadLog.open(options(), silentLogger());
    expect(recovered.flatMap((s) => s.records.map((r) => r.payload.toString()))).toEqual(['alone']);
  });

  it('adaptive: appends made while a sync runs are all kept, in order, across many rounds', async () => {
    const { wal } = await WriteAheadLog.open(options({ sync: 'adaptive' }), silentLogger());
    const appends: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) appends.push(wal.append(RecordType.TRACES_JSON, payload(`${round}.${i}`), [`t${round}`]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(appends);
    const { recovered } = await WriteAheadLog.open(options(), silentLogger());
    const expected = Array.from({ length: 200 }, (_, n) => `${Math.floor(n / 10)}.${n % 10}`);
    expect(recovered.flatMap((s) => s.records.map((r) => r.payload.toString()))).toEqual(expected);
  });

  it('groups concurrent appends into one sync batch with an interval', async () => {
    const { wal } = await WriteAheadLog.open(options({ sync: 5 }), silentLogger());
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append(RecordType.TRACES_JSON, payload(`r${i}`), [`t${i}`])));
    await wal.close();
    const { recovered } = await WriteAheadLog.open(options(), silentLogger());
    expect(recovered.flatMap((s) => s.records)).toHaveLength(50);
  });
});
