// Commands the orchestrator sends to a generator worker, and what the worker answers.

/** How a client speaks: Parlor (token auth), the bare Socket.IO server, or raw ws frames. */
export type Protocol = 'parlor' | 'socketio' | 'ws'

export type ClientSpec = {
  url: string
  /** Username (payload author for the baselines, login for Parlor). */
  user: string
  /** Parlor session token; the baselines take none. */
  token?: string
  /** Rooms joined right after connecting. */
  joins: string[]
}

export type InitCmd = {
  type: 'init'
  workerId: number
  protocol: Protocol
  clients: ClientSpec[]
  connectConcurrency: number
  /** Characters of padding in each message's content. */
  padding: number
  /** Prefix of every clientMsgId this run sends (identifies the run's rows in the database). */
  tag: string
  /** Use socket.io-client rather than the lean Socket.IO client. */
  officialClient?: boolean
  /** Test-only fault: ignore this many measured deliveries, so the harness must report a loss. */
  dropDeliveries?: number
}

/**
 * Open-loop sending: message i (0 ≤ i < count) is due at startAtUs + i / rate seconds, whatever
 * happened to earlier sends, and is sent by senders[i % senders.length]. Its content carries the
 * due time, so latency is measured from when it should have left (no coordinated omission).
 */
export type ScheduleCmd = {
  type: 'schedule'
  /** Short phase name: 'w' warm-up (not counted), 'm' measured, 'p' peak. */
  phase: string
  startAtUs: number
  rate: number
  count: number
  senders: { client: number; room: string }[]
  /** Latency windows by due time (e.g. steady vs during the login burst); index is carried in the message. */
  windows: { fromUs: number; toUs: number }[]
  /**
   * Votes and reactions mixed in (issue 16, Parlor only): one toggle per this many messages, by the
   * message's sender on the newest message of its room that was acknowledged, alternating an
   * upvote and a 👍 reaction. 0 or absent: none.
   */
  toggleEvery?: number
}

export type LoginCmd = {
  type: 'login'
  startAtUs: number
  rate: number
  logins: string[]
  password: string
  urls: string[]
}

export type Progress = { sent: number; acked: number; failed: number; delivered: number; disconnects: number }

export type PhaseReport = {
  sent: number
  acked: number
  failed: number
  delivered: number
  /** When the last acknowledgement of the phase arrived (µs, monotonic). */
  lastAckUs: number
  /** Per room: messages acknowledged and the sum of their ids (the exact set, compactly). */
  ackedByRoom: Record<string, { count: number; idSum: number }>
  /** Per (client, room) that received anything: deliveries and the sum of their ids. */
  received: { client: number; room: string; count: number; idSum: number }[]
  /** Encoded histograms by window index: send→receive and send→ack latency (µs). */
  delivery: Record<string, string>
  ack: Record<string, string>
  /** How late the generator actually sent compared to the schedule (µs). */
  sendLag: string
  /** Toggles (votes and reactions) sent, acknowledged and failed, and their ack latency (µs). */
  toggles: { sent: number; acked: number; failed: number; ack: string }
}

export type WorkerReport = {
  phases: Record<string, PhaseReport>
  disconnects: number
  errors: string[]
  /** Event-loop delay p99 of the generator itself (ms) since its last reset. */
  eldP99: number
}

export type LoginReport = {
  ok: number
  failed: number
  firstDueUs: number
  lastDoneUs: number
  latency: string
  errors: string[]
}

export type ConnectReport = {
  connected: number
  failed: number
  /** Clients not even tried because the connect budget ran out. */
  skipped: number
  /** Indexes of the clients that are not connected (failed or skipped). */
  notConnected: number[]
  ms: number
  errors: string[]
  /** Connected clients per server URL. */
  byUrl: Record<string, number>
  /** Connects or joins that failed and were retried, with the first few errors. */
  retries: number
  retryErrors: string[]
}
