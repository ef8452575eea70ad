import type { Namespace } from './admin-api.js';

export interface UploadProgress {
  name: string;
  sent: number;
  total: number;
  done: boolean;
  error?: string;
  /** What the API answered (the file store's id and owner key). */
  answer?: Record<string, unknown>;
}

const pathUrl = (key: string) => `/${key.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Uploads a file through the same public API any client uses: the path API's `POST /<key>` or the file
 * store's `POST /filestore`; into an S3 bucket through the admin `PUT /_browse/object` (the S3 API would need
 * the secret key in the page to sign). XMLHttpRequest streams the File from disk (any size) and reports progress.
 */
export function upload(ns: Namespace, prefix: string, file: File, onProgress: (p: UploadProgress) => void): Promise<UploadProgress> {
  return new Promise((resolve) => {
    const state: UploadProgress = { name: file.name, sent: 0, total: file.size, done: false };
    const xhr = new XMLHttpRequest();
    const finish = (error?: string) => {
      state.done = true;
      if (error) state.error = error;
      onProgress({ ...state });
      resolve(state);
    };
    xhr.upload.onprogress = (e) => {
      state.sent = e.loaded;
      onProgress({ ...state });
    };
    xhr.onload = () => {
      try {
        state.answer = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        state.answer = undefined;
      }
      if (xhr.status >= 300) finish(`${xhr.status}: ${String(state.answer?.['message'] ?? xhr.statusText)}`);
      else {
        state.sent = file.size;
        finish();
      }
    };
    xhr.onerror = () => finish('the connection failed');
    if (ns.kind === 's3') {
      xhr.open('PUT', `/_browse/object?${new URLSearchParams({ bucket: ns.name, key: prefix + file.name }).toString()}`);
      xhr.setRequestHeader('x-shardstore-console', '1');
      if (file.type) xhr.setRequestHeader('content-type', file.type);
      xhr.send(file);
    } else if (ns.kind === 'filestore') {
      xhr.open('POST', '/filestore');
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    } else {
      xhr.open('POST', pathUrl(prefix + file.name));
      if (file.type) xhr.setRequestHeader('content-type', file.type);
      xhr.send(file);
    }
  });
}
