// Reviews: POST /api/instances/:uid/review (agree or disagree, an optional note, an optional corrected
// mask in SIIM RLE at the image's resolution), and their export for training:
// GET /api/reviews.csv (SIIM labels) and GET /api/reviews/hard-examples.csv (queue/review-export.ts).
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { httpError } from '../http-error.js';
import { decodeRle } from '../../data/rle.js';
import { UID_PARAMS_SCHEMA } from '../uid.js';
import type { Verdict } from '../store/store.js';
import { hardExamplesCsv, reviewsCsv } from '../queue/review-export.js';
import { reviewView } from './instances.js';

export async function reviewRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  app.post(
    '/instances/:uid/review',
    {
      config: { permission: 'review' },
      schema: {
        params: UID_PARAMS_SCHEMA,
        body: {
          type: 'object',
          required: ['verdict'],
          additionalProperties: false,
          properties: {
            verdict: { type: 'string', enum: ['agree', 'disagree'] },
            note: { type: 'string', maxLength: 4000 },
            mask: { type: 'string', maxLength: 4_000_000, pattern: '^(-1|[0-9]+( [0-9]+)*)$' },
          },
        },
      },
    },
    async (request) => {
      const { uid } = request.params as { uid: string };
      const body = request.body as { verdict: Verdict; note?: string; mask?: string };
      const instance = await ctx.store.getInstance(uid);
      if (!instance) throw httpError(404, `no instance ${uid}`);
      if (!(await ctx.store.getResult(uid)))
        throw httpError(409, `instance ${uid} has no result yet (state ${instance.state}); review it once it has one`);
      if (body.mask !== undefined) {
        try {
          decodeRle(body.mask, instance.columns, instance.rows, uid);
        } catch (err) {
          throw httpError(
            400,
            `mask is not a SIIM RLE of a ${instance.columns}x${instance.rows} image (${(err as Error).message})`,
          );
        }
      }
      const token = request.token!;
      const review = {
        uid,
        verdict: body.verdict,
        note: body.note ?? null,
        maskRle: body.mask?.trim() ?? null,
        reviewer: token.label || token.id,
        reviewedAt: ctx.clock(),
      };
      await ctx.store.putReview(review);
      return reviewView(review);
    },
  );

  app.get('/reviews.csv', { config: { permission: 'read' } }, async (_request, reply) => {
    reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="reviews.csv"');
    return reviewsCsv(await ctx.store.reviewedCases());
  });

  app.get('/reviews/hard-examples.csv', { config: { permission: 'read' } }, async (_request, reply) => {
    reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="hard-examples.csv"');
    return hardExamplesCsv(await ctx.store.reviewedCases());
  });
}
