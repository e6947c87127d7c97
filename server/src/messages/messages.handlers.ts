import { ZSendMessage } from '../contract/messages'
import type { Handlers } from '../realtime/handler'
import type { AppSocket } from '../realtime/io.types'
import type { MessagesService } from './messages.service'

/** `message:send`: acked with the stored message only after it is committed. */
export function registerMessageHandlers(
  socket: AppSocket,
  {
    messages,
    handlers,
    track,
  }: { messages: MessagesService; handlers: Handlers; track: <T>(work: Promise<T>) => Promise<T> },
) {
  handlers.on(socket, 'message:send', ZSendMessage, async (input) => {
    const { message } = await track(messages.send(socket.data.viewer, input))
    return { message }
  })
}
