import { ZSendEphemeral } from '../contract/commands'
import type { Feature } from '../feature'
import type { EphemeralService } from './ephemeral.service'

/** `ephemeral:send`: messages that are never stored (issue 20). Same payload schema as `message:send`. */
export function ephemeralFeature({ ephemeral }: { ephemeral: EphemeralService }): Feature {
  return {
    name: 'ephemeral',
    sockets: (handlers) =>
      handlers.route('ephemeral:send', ZSendEphemeral, (socket, input) => ephemeral.send(socket.data.viewer, input)),
  }
}
