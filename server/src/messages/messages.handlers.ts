import { ZDeleteMessage, ZEditMessage, ZSendMessage } from '../contract/messages'
import type { Handlers } from '../realtime/handler'
import type { MessagesService } from './messages.service'

/**
 * `message:send` (acked with the stored message only after it is committed), `message:edit` and
 * `message:delete` (acked with the message's new state). Called once per server.
 */
export function registerMessageHandlers({
  messages,
  handlers,
  track,
}: {
  messages: MessagesService
  handlers: Handlers
  track: <T>(work: Promise<T>) => Promise<T>
}) {
  handlers.route('message:send', ZSendMessage, async (socket, input) => {
    const { message } = await track(messages.send(socket.data.viewer, input))
    return { message }
  })
  handlers.route('message:edit', ZEditMessage, (socket, input) => track(messages.edit(socket.data.viewer, input)))
  handlers.route('message:delete', ZDeleteMessage, (socket, input) => track(messages.remove(socket.data.viewer, input)))
}
