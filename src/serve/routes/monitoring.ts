// GET /api/monitoring?days=N: what the service saw over the last N days (default 7), per day and per
// station and manufacturer, against the bundle's validation distributions (serve/monitoring/). The
// default period is the one the log and Prometheus watch, so a look at it also logs new drift warnings.
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { DEFAULT_MONITORING_DAYS } from '../monitoring/monitor.js';

const DAY_MS = 86_400_000;

const nullableNumber = { type: ['number', 'null'] };
const numbers = { type: 'array', items: { type: 'number' } };
const scoreDrift = {
  type: 'object',
  required: ['n', 'psi', 'ks', 'drifted', 'note', 'histogram'],
  properties: {
    n: { type: 'integer' },
    psi: nullableNumber,
    ks: nullableNumber,
    drifted: { type: 'boolean' },
    note: { type: ['string', 'null'] },
    histogram: numbers,
  },
};
const groupProperties = {
  volume: { type: 'integer' },
  results: { type: 'integer' },
  failed: { type: 'integer' },
  pending: { type: 'integer' },
  sharePositive: nullableNumber,
  shareNotAssessed: nullableNumber,
  latencySeconds: {
    type: ['object', 'null'],
    required: ['p50', 'p99'],
    properties: { p50: { type: 'number' }, p99: { type: 'number' } },
  },
  reviewed: { type: 'integer' },
  agreementRate: nullableNumber,
  probability: scoreDrift,
  ood: scoreDrift,
};
const group = (extra: Record<string, object> = {}) => ({
  type: 'object',
  required: [...Object.keys(groupProperties), ...Object.keys(extra)],
  properties: { ...extra, ...groupProperties },
});

export const MONITORING_RESPONSE_SCHEMA = {
  type: 'object',
  required: [
    'from',
    'to',
    'settings',
    'reference',
    'histogramEdges',
    'total',
    'recent',
    'byDay',
    'byStation',
    'warnings',
  ],
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    settings: {
      type: 'object',
      properties: {
        psi: nullableNumber,
        ks: nullableNumber,
        bins: { type: 'integer' },
        minN: { type: 'integer' },
        window: { type: 'integer' },
      },
    },
    reference: {
      type: 'object',
      properties: {
        available: { type: 'boolean' },
        note: { type: ['string', 'null'] },
        oodNote: { type: ['string', 'null'] },
        n: { type: 'integer' },
        source: { type: ['string', 'null'] },
        probabilityHistogram: numbers,
        oodHistogram: numbers,
      },
    },
    histogramEdges: { type: 'object', properties: { probability: numbers, ood: numbers } },
    total: group(),
    recent: group(),
    byDay: { type: 'array', items: group({ day: { type: 'string' } }) },
    byStation: {
      type: 'array',
      items: group({ station: { type: 'string' }, manufacturer: { type: 'string' } }),
    },
    warnings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'message'],
        properties: { key: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

export async function monitoringRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  app.get(
    '/monitoring',
    {
      config: { permission: 'read' },
      schema: {
        querystring: {
          type: 'object',
          properties: { days: { type: 'integer', minimum: 1, maximum: 366, default: DEFAULT_MONITORING_DAYS } },
          additionalProperties: false,
        },
        response: { 200: MONITORING_RESPONSE_SCHEMA },
      },
    },
    async (request) => {
      const { days } = request.query as { days: number };
      if (days === DEFAULT_MONITORING_DAYS) return ctx.monitor.check();
      const now = ctx.clock();
      return ctx.monitor.report(now - days * DAY_MS, now + 1);
    },
  );
}
