import type { CommandInfoDto, CommandResultDto, EphemeralMessageDto, EscalationDto } from '@contract/commands'
import { send } from '../api'
import { newId } from '../ids'
import { ACK_TIMEOUT_MS, ackFailed, socket, unwrap } from '../realtime/socket'

// Issue 20: ephemeral messages, private answers of slash commands, the command list and escalations.
// Everything here lives in memory only: an ephemeral message or a private answer is gone on reload.

/** Something shown in a room's timeline that is not stored: an ephemeral message, or an answer only for you. */
export type Aside =
  | { kind: 'ephemeral'; id: string; message: EphemeralMessageDto }
  | { kind: 'reply'; id: string; text: string; createdAt: string }

/** Per room, the ephemeral messages received while viewing it and the private answers of your commands. */
class Asides {
  byRoom = $state<Record<string, Aside[]>>({})

  of(roomId: string): Aside[] {
    return this.byRoom[roomId] ?? []
  }

  #add(roomId: string, aside: Aside) {
    this.byRoom[roomId] = [...this.of(roomId), aside]
  }

  /** A live `ephemeral:created`, or our own send's ack (the same message twice is kept once). */
  ephemeral(message: EphemeralMessageDto): void {
    if (this.of(message.roomId).some((a) => a.kind === 'ephemeral' && a.message.id === message.id)) return
    this.#add(message.roomId, { kind: 'ephemeral', id: message.id, message })
  }

  reply(roomId: string, text: string): void {
    this.#add(roomId, { kind: 'reply', id: newId(), text, createdAt: new Date().toISOString() })
  }

  dismiss(roomId: string, id: string): void {
    this.byRoom[roomId] = this.of(roomId).filter((a) => a.id !== id)
  }

  clear(): void {
    this.byRoom = {}
  }
}

/** The commands you may run, per room, as the server lists them (the composer's `/` menu). */
class CommandLists {
  byRoom = $state<Record<string, CommandInfoDto[]>>({})

  async load(roomId: string): Promise<void> {
    const { commands } = await send<{ commands: CommandInfoDto[] }>(`/api/rooms/${roomId}/commands`)
    this.byRoom[roomId] = commands
  }

  clear(): void {
    this.byRoom = {}
  }
}

/** Open escalations: per room (its banner) and of the rooms you created (your list, and toasts). */
class Escalations {
  byRoom = $state<Record<string, EscalationDto[]>>({})
  mine = $state<EscalationDto[]>([])

  openIn(roomId: string): EscalationDto[] {
    return this.byRoom[roomId] ?? []
  }

  async loadRoom(roomId: string): Promise<void> {
    const { escalations } = await send<{ escalations: EscalationDto[] }>(`/api/rooms/${roomId}/escalations`)
    this.byRoom[roomId] = escalations
  }

  async loadMine(): Promise<void> {
    const { escalations } = await send<{ escalations: EscalationDto[] }>('/api/escalations')
    this.mine = escalations
  }

  /** A live `escalation:updated`. `mine`: the room is one we created. */
  update(e: EscalationDto, mine: boolean): void {
    const without = (list: EscalationDto[]) => list.filter((x) => x.id !== e.id)
    const open = e.status === 'open'
    this.byRoom[e.roomId] = open ? [...without(this.openIn(e.roomId)), e] : without(this.openIn(e.roomId))
    if (mine) this.mine = open ? [...without(this.mine), e] : without(this.mine)
  }

  clear(): void {
    this.byRoom = {}
    this.mine = []
  }
}

export const asides = new Asides()
export const commandLists = new CommandLists()
export const escalations = new Escalations()

async function emit<T extends object>(run: () => Promise<import('@contract/events').Ack<T>>): Promise<T> {
  if (!socket.connected) throw ackFailed()
  const ack = await run().catch(() => {
    throw ackFailed()
  })
  return unwrap(ack)
}

/** Sends an ephemeral message (never stored); shown at once from the ack. */
export async function sendEphemeral(roomId: string, topic: string, content: string): Promise<void> {
  const payload = { roomId, topic, content, clientMsgId: newId() }
  const { message } = await emit(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('ephemeral:send', payload))
  asides.ephemeral(message)
}

/** Runs a line starting with `/` on the server; the caller applies what it did. */
export async function runCommand(roomId: string, topic: string, text: string): Promise<CommandResultDto> {
  const payload = { roomId, topic, text, clientMsgId: newId() }
  const { result } = await emit(() => socket.timeout(ACK_TIMEOUT_MS).emitWithAck('command:run', payload))
  if (result.reply) asides.reply(roomId, result.reply)
  if (result.ephemeral) asides.ephemeral(result.ephemeral)
  return result
}
