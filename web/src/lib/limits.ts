import type * as messages from '@contract/messages'
import type * as rooms from '@contract/rooms'

// The contract's limits, repeated here so the bundle does not pull in zod; the type annotations make
// the type check fail if the server's values ever change.
export const TOPIC_MAX: typeof messages.TOPIC_MAX = 64
export const CONTENT_MAX: typeof messages.CONTENT_MAX = 4000
export const ROOM_NAME_MAX: typeof rooms.ROOM_NAME_MAX = 64
