/** A progress display: told how far along the work is, then ended. */
export interface Progress {
  update(done: number): void;
  end(): void;
}

const WIDTH = 30;

/**
 * A one-line progress bar on `stream` (`label [#####-----] 5/20`), redrawn in place; on
 * anything but a terminal it prints nothing, so pipes and CI logs stay clean.
 */
export function progressBar(stream: NodeJS.WriteStream, label: string, total: number): Progress {
  if (!stream.isTTY || total === 0) return { update: () => undefined, end: () => undefined };
  const draw = (done: number): void => {
    const filled = Math.round((done / total) * WIDTH);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total}`);
  };
  draw(0);
  return { update: draw, end: () => stream.write('\r\u001b[2K') };
}
