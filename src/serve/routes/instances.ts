// The reading room's routes over stored instances (docs/serve.md lists them all):
//   GET /api/worklist                    sorted by priority (queue/worklist-priority.ts), paged by cursor
//   GET /api/instances/:uid              metadata, state, result, review; audited as the reader opening the study
//   GET /api/instances/:uid/pixels       stored pixel values for client-side window/level
//   GET /api/instances/:uid/mask.png     the predicted mask (positives)
//   GET /api/instances/:uid/overlay.png  the image with the mask and the decision
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { httpError } from '../http-error.js';
import type { InstanceRecord, ResultRecord, ReviewRecord, WorklistStatus } from '../store/store.js';
import { UID_PARAMS_SCHEMA } from '../uid.js';
import { decodeCursor, encodeCursor, escalationCutoff } from '../queue/worklist-priority.js';
import { notAssessedText } from '../../pipeline/gate-rules.js';

const STATUSES: WorklistStatus[] = ['pending', 'unreviewed', 'reviewed', 'failed', 'not-assessed', 'all'];

/**
 * A result as the API gives it. A not-assessed result has no probability and no decision here (null):
 * the model's number is kept in the store for audit and monitoring, never handed out as a finding.
 */
export function resultView(uid: string, r: ResultRecord | null) {
  if (!r) return null;
  const assessed = r.status === 'assessed';
  return {
    status: r.status,
    gate: r.gate,
    /** The reasons in words ("not assessed: lateral view"), or null when assessed. */
    notAssessed: assessed ? null : notAssessedText(r.gate.reasons),
    probability: assessed ? r.probability : null,
    probabilityUncalibrated: assessed ? r.probabilityUncalibrated : null,
    calibrated: r.calibrated,
    decision: assessed ? r.decision : null,
    segmented: r.segmented,
    thresholds: r.thresholds,
    rle: r.rle,
    area: { pixels: r.areaPixels, cm2: r.areaCm2 },
    bbox: r.bbox,
    size: r.size,
    maskUrl: r.maskFile ? `/api/instances/${uid}/mask.png` : null,
    overlayUrl: `/api/instances/${uid}/overlay.png`,
    bundle: { id: r.bundleId, version: r.bundleVersion },
    timingsMs: r.timingsMs,
    finishedAt: new Date(r.finishedAt).toISOString(),
  };
}

export function reviewView(r: ReviewRecord | null) {
  if (!r) return null;
  return {
    verdict: r.verdict,
    note: r.note,
    mask: r.maskRle,
    reviewer: r.reviewer,
    reviewedAt: new Date(r.reviewedAt).toISOString(),
  };
}

function instanceView(i: InstanceRecord) {
  return {
    uid: i.uid,
    studyUid: i.studyUid,
    seriesUid: i.seriesUid,
    sopClassUid: i.sopClassUid,
    patient: { id: i.patientId, name: i.patientName, sex: i.patientSex, age: i.patientAge },
    accessionNumber: i.accessionNumber,
    studyDate: i.studyDate,
    studyTime: i.studyTime,
    studyDescription: i.studyDescription,
    modality: i.modality,
    viewPosition: i.viewPosition,
    stationName: i.stationName,
    manufacturer: i.manufacturer,
    rows: i.rows,
    columns: i.columns,
    pixelSpacing: i.pixelSpacing,
    bitsAllocated: i.bitsAllocated,
    bitsStored: i.bitsStored,
    pixelRepresentation: i.pixelRepresentation,
    photometricInterpretation: i.photometricInterpretation,
    transferSyntaxUid: i.transferSyntaxUid,
    window: i.windowCenter !== null && i.windowWidth !== null ? { center: i.windowCenter, width: i.windowWidth } : null,
    rescale: { slope: i.rescaleSlope, intercept: i.rescaleIntercept },
    receivedAt: new Date(i.receivedAt).toISOString(),
    state: i.state,
    error: i.error,
  };
}

async function requireInstance(ctx: ServeContext, uid: string): Promise<InstanceRecord> {
  const instance = await ctx.store.getInstance(uid);
  if (!instance) throw httpError(404, `no instance ${uid}`);
  return instance;
}

export async function instanceRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  const read = { permission: 'read' as const };

  app.get(
    '/worklist',
    {
      config: read,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: STATUSES, default: 'unreviewed' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            cursor: { type: 'string', maxLength: 1000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const q = request.query as { status: WorklistStatus; limit: number; cursor?: string };
      const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
      if (q.cursor !== undefined && !cursor) throw httpError(400, 'cursor is not one this service made');
      const now = cursor?.now ?? ctx.clock();
      const rows = await ctx.store.worklist({
        status: q.status,
        limit: q.limit,
        escalateReceivedBefore: escalationCutoff(now, ctx.escalateAfterMs),
        after: cursor?.after ?? null,
      });
      const last = rows.at(-1);
      return {
        now: new Date(now).toISOString(),
        escalateAfterMinutes: ctx.escalateAfterMs / 60_000,
        items: rows.map(({ instance, result, review, position }) => ({
          ...instanceView(instance),
          waitingMinutes: Math.max(0, (now - instance.receivedAt) / 60_000),
          escalated: position.tier === 0,
          result: resultView(instance.uid, result),
          review: reviewView(review),
        })),
        nextCursor: last && rows.length === q.limit ? encodeCursor({ now, after: last.position }) : null,
      };
    },
  );

  app.get('/instances/:uid', { config: read, schema: { params: UID_PARAMS_SCHEMA } }, async (request) => {
    const { uid } = request.params as { uid: string };
    const instance = await requireInstance(ctx, uid);
    const token = request.token!;
    await ctx.store.recordAudit({
      at: ctx.clock(),
      tokenId: token.id,
      actor: token.label,
      role: token.role,
      action: 'open',
      studyUid: instance.studyUid,
      instanceUid: uid,
    });
    const [result, review] = await Promise.all([ctx.store.getResult(uid), ctx.store.getReview(uid)]);
    return { ...instanceView(instance), result: resultView(uid, result), review: reviewView(review) };
  });

  app.get('/instances/:uid/pixels', { config: read, schema: { params: UID_PARAMS_SCHEMA } }, async (request, reply) => {
    const { uid } = request.params as { uid: string };
    const instance = await requireInstance(ctx, uid);
    const pixels = await ctx.dicomPool.pixels(path.join(ctx.storeDir, instance.file));
    reply
      .type('application/octet-stream')
      .header('X-Pixel-Columns', String(pixels.width))
      .header('X-Pixel-Rows', String(pixels.height))
      .header('X-Sample-Type', pixels.sampleType)
      .header('X-Bits-Stored', String(instance.bitsStored))
      .header('X-Photometric-Interpretation', instance.photometricInterpretation)
      .header('X-Rescale-Slope', String(instance.rescaleSlope))
      .header('X-Rescale-Intercept', String(instance.rescaleIntercept));
    if (instance.windowCenter !== null && instance.windowWidth !== null)
      reply
        .header('X-Window-Center', String(instance.windowCenter))
        .header('X-Window-Width', String(instance.windowWidth));
    return Buffer.from(pixels.bytes.buffer, pixels.bytes.byteOffset, pixels.bytes.byteLength);
  });

  // The display step of the model-input contract (VOI LUT, window and its function, MONOCHROME1) as
  // 8-bit grey per stored value, so that the viewer's "model" preset shows the grey the model saw.
  app.get(
    '/instances/:uid/model-display',
    { config: read, schema: { params: UID_PARAMS_SCHEMA } },
    async (request, reply) => {
      const { uid } = request.params as { uid: string };
      const instance = await requireInstance(ctx, uid);
      const lut = await ctx.dicomPool.modelDisplay(path.join(ctx.storeDir, instance.file));
      if (!lut) throw httpError(404, `instance ${uid}: its stored range is too wide for a display table`);
      reply
        .type('application/octet-stream')
        .header('X-Lut-First', String(lut.first))
        .header('X-Model-Input-Display', 'dicom-voi');
      return Buffer.from(lut.grey.buffer, lut.grey.byteOffset, lut.grey.byteLength);
    },
  );

  for (const picture of ['mask', 'overlay'] as const) {
    app.get(
      `/instances/:uid/${picture}.png`,
      { config: read, schema: { params: UID_PARAMS_SCHEMA } },
      async (request, reply) => {
        const { uid } = request.params as { uid: string };
        const instance = await requireInstance(ctx, uid);
        const result = await ctx.store.getResult(uid);
        if (!result) throw httpError(404, `instance ${uid} has no result yet (state ${instance.state})`);
        const file = picture === 'mask' ? result.maskFile : result.overlayFile;
        if (!file) throw httpError(404, `instance ${uid} has no mask: the model found no pneumothorax`);
        reply.type('image/png');
        return createReadStream(path.join(ctx.storeDir, file));
      },
    );
  }
}
