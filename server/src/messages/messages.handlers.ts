import { ZSendMessage } from '../contract/messages'
import type { Handlers } from '../realtime/handler'
import type { MessagesService } from './messages.service'

/** `message:send`: acked with the stored message only after it is committed. Called once per server. */
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
}
