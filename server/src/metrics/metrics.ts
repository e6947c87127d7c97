import client from 'prom-client'
import type { ErrorCode } from '../contract/errors'

export type Metrics = ReturnType<typeof createMetrics>

/**
 * Prometheus metrics for `GET /metrics`. One registry per app (tests run several apps in a process);
 * every series carries the instance id.
 */
export function createMetrics(instanceId: string) {
  const registry = new client.Registry()
  registry.setDefaultLabels({ instance: instanceId })
  client.collectDefaultMetrics({ register: registry })

  const sockets = new client.Gauge({
    name: 'parlor_sockets',
    help: 'Open Socket.IO connections on this instance, by kind (guest or user).',
    labelNames: ['kind'] as const,
    registers: [registry],
  })
  const messagesSent = new client.Counter({
    name: 'parlor_messages_sent_total',
    help: 'Messages stored (acknowledged) by this instance.',
    registers: [registry],
  })
  const messagesDelivered = new client.Counter({
    name: 'parlor_messages_delivered_total',
    help: 'message:created packets written to sockets of this instance.',
    registers: [registry],
  })
  const ackLatency = new client.Histogram({
    name: 'parlor_ack_latency_seconds',
    help: 'Time from receiving a socket event to acknowledging it.',
    labelNames: ['event'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const rateLimited = new client.Counter({
    name: 'parlor_rate_limited_total',
    help: 'Requests refused by a rate limit, by limit.',
    labelNames: ['limit'] as const,
    registers: [registry],
  })
  const errors = new client.Counter({
    name: 'parlor_errors_total',
    help: 'Errors returned to clients, by code and transport.',
    labelNames: ['code', 'transport'] as const,
    registers: [registry],
  })
  const unknownEvents = new client.Counter({
    name: 'parlor_unknown_events_total',
    help: 'Socket events with no handler (ignored).',
    registers: [registry],
  })

  return {
    registry,
    sockets,
    messagesSent,
    messagesDelivered,
    ackLatency,
    rateLimited,
    unknownEvents,
    error(code: ErrorCode, transport: 'rest' | 'socket') {
      errors.inc({ code, transport })
    },
  }
}
