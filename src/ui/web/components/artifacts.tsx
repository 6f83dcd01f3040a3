import { useEffect, useState } from 'preact/hooks';
import { getBytes, getJson } from '../api';
import { formatBytes } from '../format';
import { useLoad } from '../hooks';
import type { FileEntry } from '../types';
import { ErrorBox, Loading, TableHead } from './common';
import { JsonView } from './json-view';

/** Text previews stop here; the download has the rest. */
const TEXT_PREVIEW_BYTES = 256 * 1024;
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

/**
 * The files of a run's (or step's) `artifacts/`: size, download, and a preview of text,
 * JSON or an image. `base` is the artifacts route, e.g. `/api/v1/runs/ID/artifacts`.
 */
export function ArtifactsView({ base }: { base: string }) {
  const [list] = useLoad((signal) => getJson<{ artifacts: FileEntry[] }>(base, signal), [base]);
  const [open, setOpen] = useState<string | null>(null);
  if (list.state === 'loading') return <Loading what="artifacts" />;
  if (list.state === 'error') return <ErrorBox error={list.error} />;
  const files = list.value.artifacts;
  if (files.length === 0) return <p class="muted">No artifacts.</p>;
  return (
    <div class="artifacts">
      <table>
        <TableHead columns={['File', { title: 'Size', num: true }, { title: 'Actions', hidden: true }]} />
        <tbody>
          {files.map((file) => (
            <tr key={file.path} data-artifact={file.path}>
              <td class="mono">{file.path}</td>
              <td class="num">{formatBytes(file.size)}</td>
              <td class="actions">
                <button type="button" aria-expanded={open === file.path} onClick={() => setOpen(open === file.path ? null : file.path)}>
                  {open === file.path ? 'Close' : 'Preview'}
                </button>
                <button type="button" onClick={() => void download(`${base}/${pathUrl(file.path)}`, file.path)}>
                  Download
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open !== null ? <Preview url={`${base}/${pathUrl(open)}`} path={open} /> : null}
    </div>
  );
}

/** A preview of one file by its name: image, JSON tree, or text when it is UTF-8. */
function Preview({ url, path }: { url: string; path: string }) {
  const [bytes] = useLoad((signal) => getBytes(url, signal), [url]);
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return (
    <div class="preview" data-testid="artifact-preview">
      <h3 class="mono">{path}</h3>
      {bytes.state === 'loading' ? <Loading what={path} /> : null}
      {bytes.state === 'error' ? <ErrorBox error={bytes.error} /> : null}
      {bytes.state === 'done' ? <Content bytes={bytes.value} extension={extension} path={path} /> : null}
    </div>
  );
}

function Content({ bytes, extension, path }: { bytes: ArrayBuffer; extension: string; path: string }) {
  const imageType = IMAGE_TYPES[extension];
  if (imageType) return <ImagePreview bytes={bytes} type={imageType} alt={path} />;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(0, TEXT_PREVIEW_BYTES));
  } catch {
    return <p class="muted">A binary file of {formatBytes(bytes.byteLength)}: download it to open it.</p>;
  }
  const cut = bytes.byteLength > TEXT_PREVIEW_BYTES;
  if (extension === 'json' && !cut) {
    try {
      return <JsonView value={JSON.parse(text)} label={path} />;
    } catch {
      // Not JSON after all: show the text.
    }
  }
  return (
    <>
      <pre class="text-preview">{text}</pre>
      {cut ? <p class="muted">The first {formatBytes(TEXT_PREVIEW_BYTES)} of {formatBytes(bytes.byteLength)}; download it for the rest.</p> : null}
    </>
  );
}

function ImagePreview({ bytes, type, alt }: { bytes: ArrayBuffer; type: string; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    // A blob: URL, which the page's CSP allows for images; an SVG shown as an image runs no script.
    const objectUrl = URL.createObjectURL(new Blob([bytes], { type }));
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [bytes, type]);
  return url === null ? null : <img class="image-preview" src={url} alt={alt} />;
}

/** Saves a file the API serves (with the token, which a plain link could not send). */
async function download(url: string, path: string): Promise<void> {
  const bytes = await getBytes(url);
  const objectUrl = URL.createObjectURL(new Blob([bytes]));
  const anchor = document.createElement('a');
  anchor.href = objectUrl;
  anchor.download = path.split('/').pop() ?? 'artifact';
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(objectUrl), 10_000);
}

/** An artifact path as URL segments. */
function pathUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
