// POST /dicom-web/studies: DICOMweb STOW-RS. Takes multipart/related (type application/dicom, one
// instance per part) or a single application/dicom body, and answers per instance: stored, duplicate
// (same SOP Instance UID already stored, kept once) or rejected with the reason. An instance is
// acknowledged only after its file and its database row (which queues it) are committed. When the
// queue is full the whole request is refused with 503 and Retry-After before anything is read.
// Status: 200 all stored or duplicate, 202 some rejected, else the first rejection's 4xx.
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import type { ServeContext } from '../context.js';
import { httpError } from '../http-error.js';
import { MultipartError, decodeMultipart, contentTypeParameter, type Part } from '../../interop/dicomweb/multipart.js';
import { instanceFile, writeFileDurably } from '../store/store-layout.js';

type Outcome =
  | { index: number; sopInstanceUid: string; status: 'stored' | 'duplicate'; url: string }
  | { index: number; sopInstanceUid: string | null; status: 'rejected'; statusCode: number; reason: string };

const DICOM = 'application/dicom';

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
        },
      },
    },
  },
} as const;

export async function stowRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  // Bodies stay raw bytes; the size limit (413) is fastify's bodyLimit.
  app.addContentTypeParser([DICOM, 'multipart/related'], { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  async function ingest(part: Part, index: number): Promise<Outcome> {
    const type = part.headers['content-type']?.split(';')[0].trim().toLowerCase() ?? DICOM;
    if (type !== DICOM)
      return {
        index,
        sopInstanceUid: null,
        status: 'rejected',
        statusCode: 415,
        reason: `part is ${type}, not ${DICOM}`,
      };
    const bytes = part.body;
    const inspected = await ctx.dicomPool.inspect(bytes, `part ${index + 1}`);
    if (inspected.kind === 'rejected')
      return {
        index,
        sopInstanceUid: null,
        status: 'rejected',
        statusCode: inspected.statusCode,
        reason: inspected.reason,
      };
    const { meta } = inspected;
    const url = `/api/instances/${meta.uid}`;
    if (await ctx.store.hasInstance(meta.uid)) return { index, sopInstanceUid: meta.uid, status: 'duplicate', url };
    const file = instanceFile(meta.uid);
    await writeFileDurably(path.join(ctx.storeDir, file), bytes);
    const outcome = await ctx.store.insertInstance(meta, file, bytes.length, ctx.clock());
    return { index, sopInstanceUid: meta.uid, status: outcome, url };
  }

  app.post(
    '/studies',
    {
      config: { permission: 'upload' },
      schema: { response: { '2xx': responseSchema, '4xx': responseSchema } },
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
      for (let i = 0; i < parts.length; i++) instances.push(await ingest(parts[i], i));
      const count = (status: Outcome['status']) => instances.filter((o) => o.status === status).length;
      const stored = count('stored');
      const duplicates = count('duplicate');
      const rejected = count('rejected');
      ctx.metrics.uploads.inc({ outcome: 'stored' }, stored);
      ctx.metrics.uploads.inc({ outcome: 'duplicate' }, duplicates);
      ctx.metrics.uploads.inc({ outcome: 'rejected' }, rejected);
      if (stored > 0) ctx.dispatcher.notify();
      for (const o of instances)
        if (o.status === 'rejected') request.log.info({ index: o.index, reason: o.reason }, 'instance rejected');
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
      return { stored, duplicates, rejected, instances };
    },
  );
}
