// A small DICOMweb client on Node's fetch (the npm dicomweb-client needs XMLHttpRequest): QIDO-RS
// searches, WADO-RS retrieval of whole instances, STOW-RS storage. Every failure is a DicomwebError
// that says which request failed and why, and whether trying again may help (the server was
// unreachable, busy or failing), which the forwarder's retries go by.
import { decodeMultipart, encodeMultipart, newBoundary } from './multipart.js';
import { jsonItems, jsonString, TAGS, type DicomJson } from './dicom-json.js';

export class DicomwebError extends Error {
  override name = 'DicomwebError';
  constructor(
    message: string,
    /** HTTP status; null when no answer came (connection refused, timeout). */
    readonly status: number | null,
    /** True when the same request may succeed later. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export interface DicomwebClientOptions {
  /** The service root, e.g. http://127.0.0.1:8042/dicom-web */
  url: string;
  /** Extra request headers (Authorization). */
  headers?: Record<string, string>;
  /** Per request; default 60 s. */
  timeoutMs?: number;
}

export type QidoQuery = Record<string, string | number | boolean>;

export interface StoreResult {
  stored: string[];
  failed: { sopInstanceUid: string; reason: string }[];
}

const DICOM_MULTIPART = 'multipart/related; type="application/dicom"';
/** HTTP statuses worth retrying: timeout, too many requests, server errors. */
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

export class DicomwebClient {
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: DicomwebClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new DicomwebError(`"${options.url}" is not a URL`, null, false);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new DicomwebError(`"${options.url}" is not an http(s) URL`, null, false);
    this.url = options.url.replace(/\/+$/, '');
    this.headers = options.headers ?? {};
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  private async request(path: string, init: RequestInit & { what: string }): Promise<Response> {
    const url = `${this.url}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: { ...this.headers, ...(init.headers as Record<string, string>) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new DicomwebError(`${init.what}: ${url} did not answer (${why})`, null, true);
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
      throw new DicomwebError(
        `${init.what}: ${url} answered ${response.status} ${response.statusText}${text ? ` (${text})` : ''}`,
        response.status,
        TRANSIENT.has(response.status),
      );
    }
    return response;
  }

  private async qido(path: string, query: QidoQuery, what: string): Promise<DicomJson[]> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const suffix = params.size > 0 ? `?${params}` : '';
    const response = await this.request(`${path}${suffix}`, { what, headers: { Accept: 'application/dicom+json' } });
    if (response.status === 204) return [];
    const text = await response.text();
    if (text.trim() === '') return [];
    const json = JSON.parse(text) as unknown;
    if (!Array.isArray(json))
      throw new DicomwebError(`${what}: the answer is not a JSON array`, response.status, false);
    return json as DicomJson[];
  }

  /** QIDO-RS study search, e.g. {ModalitiesInStudy: 'CR', StudyDate: '20240101-20240131'}. */
  searchStudies(query: QidoQuery = {}): Promise<DicomJson[]> {
    return this.qido('/studies', query, 'QIDO-RS study search');
  }

  /** QIDO-RS instance search in one study. */
  searchInstances(studyInstanceUid: string, query: QidoQuery = {}): Promise<DicomJson[]> {
    return this.qido(
      `/studies/${encodeURIComponent(studyInstanceUid)}/instances`,
      query,
      `QIDO-RS instance search in study ${studyInstanceUid}`,
    );
  }

  /** WADO-RS retrieval of one instance as a Part 10 file, in the transfer syntax it is stored in. */
  async retrieveInstance(study: string, series: string, instance: string): Promise<Uint8Array> {
    const what = `WADO-RS retrieval of ${instance}`;
    const path = `/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances/${encodeURIComponent(instance)}`;
    const response = await this.request(path, {
      what,
      headers: { Accept: `${DICOM_MULTIPART}; transfer-syntax=*` },
    });
    const body = new Uint8Array(await response.arrayBuffer());
    const parts = decodeMultipart(body, response.headers.get('content-type') ?? '');
    if (parts.length !== 1)
      throw new DicomwebError(
        `${what}: ${parts.length} parts where one instance was asked for`,
        response.status,
        false,
      );
    return parts[0].body;
  }

  /** STOW-RS: stores Part 10 files (into `study` when given); says which were stored and which failed. */
  async store(instances: readonly Uint8Array[], study?: string): Promise<StoreResult> {
    const boundary = newBoundary();
    const body = encodeMultipart(
      instances.map((bytes) => ({ headers: { 'Content-Type': 'application/dicom' }, body: bytes })),
      boundary,
    );
    const path = study ? `/studies/${encodeURIComponent(study)}` : '/studies';
    const response = await this.request(path, {
      what: `STOW-RS of ${instances.length} instance(s)`,
      method: 'POST',
      body,
      headers: {
        'Content-Type': `${DICOM_MULTIPART}; boundary=${boundary}`,
        Accept: 'application/dicom+json',
      },
    });
    const text = await response.text();
    const json = (text.trim() ? JSON.parse(text) : {}) as DicomJson;
    return {
      stored: jsonItems(json, TAGS.referencedSopSequence).map(
        (i) => jsonString(i, TAGS.referencedSopInstanceUid) ?? '',
      ),
      failed: jsonItems(json, TAGS.failedSopSequence).map((i) => ({
        sopInstanceUid: jsonString(i, TAGS.referencedSopInstanceUid) ?? '',
        reason: `failure reason ${jsonString(i, TAGS.failureReason) ?? 'not given'}`,
      })),
    };
  }
}
