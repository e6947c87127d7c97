import { ZSendMessage } from '../contract/messages'
import type { Logger } from '../lib/logger'
import { handle } from '../realtime/handler'
import type { AppSocket } from '../realtime/io.types'
import type { MessagesService } from './messages.service'

/** `message:send`: acked with the stored message only after it is committed. */
export function registerMessageHandlers(
  socket: AppSocket,
  { messages, log, track }: { messages: MessagesService; log: Logger; track: <T>(work: Promise<T>) => Promise<T> },
) {
  socket.on(
    'message:send',
    handle(socket, log, ZSendMessage, async (input) => {
      const { message } = await track(messages.send(socket.data.viewer, input))
      return { message }
    }),
  )
}
