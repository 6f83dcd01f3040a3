import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { checkRelativePath } from '../../store/index.js';
import { formatBytes, renderTable } from './format.js';
import { printJson, withSource, type RunsFlags } from './options.js';
import type { RunsSource } from './source.js';
import { FILE_MODE, makeDirectory } from '../../lib/index.js';

/** Flags of `runs artifacts`. */
export interface ArtifactsFlags extends RunsFlags {
  extract?: string;
  cat?: string;
}

/** `paracle runs artifacts RUN_ID [--extract DIR] [--cat PATH]`. */
export async function artifactsCommand(runId: string, flags: ArtifactsFlags): Promise<void> {
  await withSource(flags, async (source) => {
    if (flags.cat !== undefined) return pipeline(await source.readArtifact(runId, flags.cat), process.stdout, { end: false });
    const artifacts = await source.artifacts(runId);
    if (flags.extract !== undefined) return extract(source, runId, artifacts.map((a) => a.path), flags);
    if (flags.json) return printJson({ run_id: runId, artifacts });
    if (artifacts.length === 0) return void process.stdout.write(`run ${runId} has no artifacts\n`);
    process.stdout.write(renderTable(['PATH', 'SIZE'], artifacts.map((a) => [a.path, formatBytes(a.size)]), new Set([1])));
  });
}

async function extract(source: RunsSource, runId: string, paths: string[], flags: ArtifactsFlags): Promise<void> {
  const dir = resolve(flags.extract ?? '.');
  for (const path of paths) {
    // Paths from a remote daemon are checked like a user's: none may leave the folder.
    const target = join(dir, ...checkRelativePath(path, 'artifact path'));
    await makeDirectory(dirname(target));
    await pipeline(await source.readArtifact(runId, path), createWriteStream(target, { mode: FILE_MODE }));
  }
  if (flags.json) printJson({ run_id: runId, dir, extracted: paths });
  else process.stdout.write(`extracted ${paths.length} artifact(s) of ${runId} to ${dir}\n`);
}
