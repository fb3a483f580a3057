// POST /dicom-web/studies: DICOMweb STOW-RS. Takes multipart/related (type application/dicom, one
// instance per part) or a single application/dicom body, and answers per instance: stored, duplicate
// (same SOP Instance UID already stored, kept once) or rejected with the reason. An instance is
// acknowledged only after its file and its database row (which queues it) are committed. When the
// queue is full the whole request is refused with 503 and Retry-After before anything is read.
// Status: 200 all stored or duplicate, 202 some rejected, else the first rejection's status.
// The answer is the Store Instances Response of PS3.18 (Referenced SOP Sequence, Failed SOP Sequence
// with a Failure Reason per instance) in the DICOM JSON model: alone for `Accept: application/dicom+json`,
// otherwise beside pneumo's own fields. A refusal of the whole request is {error, message}.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import path from 'node:path';
import type { ServeContext } from '../context.js';
import { httpError } from '../http-error.js';
import { MultipartError, decodeMultipart, contentTypeParameter, type Part } from '../../interop/dicomweb/multipart.js';
import { FAILURE_REASON, storeInstancesResponse, type FailureReason } from '../ingest/stow-response.js';
import { instanceFile, writeFileDurably } from '../store/store-layout.js';

type Outcome =
  | {
      index: number;
      sopInstanceUid: string;
      sopClassUid: string | null;
      status: 'stored' | 'duplicate';
      url: string;
    }
  | {
      index: number;
      sopInstanceUid: string | null;
      sopClassUid: string | null;
      status: 'rejected';
      statusCode: number;
      reason: string;
      failureReason: FailureReason;
    };

const DICOM = 'application/dicom';
const DICOM_JSON = 'application/dicom+json';

/** Errors of the file system or the database that mean "no room": the PACS may retry later. */
const OUT_OF_RESOURCES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

const dicomJsonSequence = { type: 'object', additionalProperties: true } as const;

const responseSchema = {
  type: 'object',
  properties: {
    stored: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: { type: 'integer' },
    instances: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          sopInstanceUid: { type: ['string', 'null'] },
          status: { type: 'string', enum: ['stored', 'duplicate', 'rejected'] },
          url: { type: 'string' },
          statusCode: { type: 'integer' },
          reason: { type: 'string' },
          failureReason: { type: 'integer' },
        },
      },
    },
    // PS3.18 Store Instances Response, DICOM JSON model.
    '00081198': dicomJsonSequence,
    '00081199': dicomJsonSequence,
    // A refusal of the whole request (401, 403, 413, 415, a malformed body).
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

/** The service's own URL of a path, as the client reached it (Retrieve URL is a URL, not a path). */
function absoluteUrl(request: FastifyRequest, pathname: string): string {
  return `${request.protocol}://${request.host}${pathname}`;
}

function wantsDicomJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').toLowerCase().includes(DICOM_JSON);
}

export async function stowRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  // Bodies stay raw bytes; the size limit (413) is fastify's bodyLimit.
  app.addContentTypeParser([DICOM, 'multipart/related'], { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  async function ingest(request: FastifyRequest, part: Part, index: number): Promise<Outcome> {
    const type = part.headers['content-type']?.split(';')[0].trim().toLowerCase() ?? DICOM;
    if (type !== DICOM)
      return {
        index,
        sopInstanceUid: null,
        sopClassUid: null,
        status: 'rejected',
        statusCode: 415,
        reason: `part is ${type}, not ${DICOM}`,
        failureReason: FAILURE_REASON.cannotUnderstand,
      };
    const bytes = part.body;
    const inspected = await ctx.dicomPool.inspect(bytes, `part ${index + 1}`);
    if (inspected.kind === 'rejected')
      return {
        index,
        sopInstanceUid: inspected.sopInstanceUid,
        sopClassUid: inspected.sopClassUid,
        status: 'rejected',
        statusCode: inspected.statusCode,
        reason: inspected.reason,
        failureReason: inspected.failureReason,
      };
    const { meta } = inspected;
    const url = `/api/instances/${meta.uid}`;
    const kept = { index, sopInstanceUid: meta.uid, sopClassUid: meta.sopClassUid, url };
    if (await ctx.store.hasInstance(meta.uid)) return { ...kept, status: 'duplicate' };
    const file = instanceFile(meta.uid);
    try {
      await writeFileDurably(path.join(ctx.storeDir, file), bytes);
      return { ...kept, status: await ctx.store.insertInstance(meta, file, bytes.length, ctx.clock()) };
    } catch (err) {
      // Not acknowledged, so the sender keeps it and may retry; the other parts go on.
      request.log.error({ err, index, uid: meta.uid }, 'an instance could not be stored');
      const full = OUT_OF_RESOURCES.has(String((err as { code?: unknown }).code));
      return {
        ...kept,
        status: 'rejected',
        statusCode: full ? 507 : 500,
        reason: full
          ? 'no space left to store the instance; retry later'
          : 'the instance could not be stored (see the service log)',
        failureReason: full ? FAILURE_REASON.outOfResources : FAILURE_REASON.processingFailure,
      };
    }
  }

  app.post(
    '/studies',
    {
      config: { permission: 'upload' },
      schema: { response: { '2xx': responseSchema, '4xx': responseSchema, '5xx': responseSchema } },
      // Refused before the body is read: an overloaded service spends nothing on uploads it cannot take.
      onRequest: async () => {
        const depth = await ctx.store.queueDepth();
        if (depth < ctx.queueLimit) return;
        ctx.metrics.uploads.inc({ outcome: 'overloaded' });
        const wait = Math.ceil((depth * ctx.dispatcher.meanJobSeconds) / Math.max(1, ctx.runner.capacity));
        throw httpError(503, `the inference queue is full (${depth} instances); retry later`, {
          'Retry-After': String(Math.min(120, Math.max(1, wait))),
        });
      },
    },
    async (request, reply) => {
      const contentType = request.headers['content-type'] ?? '';
      const body = request.body as Buffer;
      let parts: Part[];
      if (contentType.toLowerCase().startsWith('multipart/related')) {
        const type = contentTypeParameter(contentType, 'type');
        if (type !== undefined && type.toLowerCase() !== DICOM)
          throw httpError(415, `multipart/related of ${type}; this service takes ${DICOM} parts`);
        try {
          parts = decodeMultipart(body, contentType);
        } catch (err) {
          if (err instanceof MultipartError) throw httpError(400, err.message);
          throw err;
        }
        if (parts.length === 0) throw httpError(400, 'the multipart body holds no part');
      } else if (contentType.split(';')[0].trim().toLowerCase() === DICOM)
        parts = [{ headers: { 'content-type': DICOM }, body }];
      else throw httpError(415, `Content-Type ${contentType || '(none)'}: send multipart/related or ${DICOM}`);
      const instances: Outcome[] = [];
      for (let i = 0; i < parts.length; i++) instances.push(await ingest(request, parts[i], i));
      const count = (status: Outcome['status']) => instances.filter((o) => o.status === status).length;
      const stored = count('stored');
      const duplicates = count('duplicate');
      const rejected = count('rejected');
      ctx.metrics.uploads.inc({ outcome: 'stored' }, stored);
      ctx.metrics.uploads.inc({ outcome: 'duplicate' }, duplicates);
      ctx.metrics.uploads.inc({ outcome: 'rejected' }, rejected);
      if (stored > 0) ctx.dispatcher.notify();
      for (const o of instances)
        if (o.status === 'rejected')
          request.log.info({ index: o.index, reason: o.reason, failureReason: o.failureReason }, 'instance rejected');
      const firstRejection = instances.find((o) => o.status === 'rejected');
      const status =
        rejected === 0
          ? 200
          : rejected < instances.length
            ? 202
            : firstRejection && 'statusCode' in firstRejection
              ? firstRejection.statusCode
              : 400;
      reply.code(status);
      const dicomJson = storeInstancesResponse(
        instances.flatMap((o) =>
          o.status === 'rejected'
            ? []
            : [{ sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, url: absoluteUrl(request, o.url) }],
        ),
        instances.flatMap((o) =>
          o.status === 'rejected'
            ? [{ sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, failureReason: o.failureReason }]
            : [],
        ),
      );
      if (wantsDicomJson(request)) {
        reply.type(DICOM_JSON);
        return JSON.stringify(dicomJson);
      }
      const listed = instances.map(({ sopClassUid: _class, ...o }) => o);
      return { stored, duplicates, rejected, instances: listed, ...dicomJson };
    },
  );
}
