// The contract's numbers: length limits and fixed ids, shared by the zod schemas (contract/*.ts) and
// the web. No imports here, zod above all: the web imports this file at runtime and its bundle must
// stay free of zod.

/** The lobby: a public system room that always exists (created by the first migration). */
export const LOBBY_ID = '00000000-0000-4000-8000-000000000001'

/** Usernames: 3–32 of a–z, 0–9, _ and -. */
export const USERNAME_MIN = 3
export const USERNAME_MAX = 32
/** Passwords, in UTF-8 bytes (bcrypt ignores everything after byte 72). */
export const PASSWORD_MIN_BYTES = 8
export const PASSWORD_MAX_BYTES = 72
export const EMAIL_MAX = 254

export const ROOM_NAME_MAX = 64
export const ROOM_DESCRIPTION_MAX = 500
/** Usernames added at once when creating a room. */
export const ROOM_PARTICIPANTS_MAX = 100

/** Length limits count code points after trimming (see userText). */
export const TOPIC_MAX = 64
export const CONTENT_MAX = 4000
/** The most messages one history or changes page returns; asking for more gives this many. */
export const HISTORY_PAGE_MAX = 100

// --- Slash commands and the room bot (issue 20).

/** The room bot: one user row (created by its migration) that authors bot messages and never logs in. */
export const BOT_USER_ID = '00000000-0000-4000-8000-0000000000b0'
/** Its username has a dot, which no registration accepts: nobody can be mistaken for it. */
export const BOT_USERNAME = 'parlor.bot'
/** The longest reason `/escalate` keeps (code points). */
export const ESCALATION_REASON_MAX = 500
// Direct messages and profiles (issue 19).
/** People in a direct conversation, you included. */
export const DIRECT_MEMBERS_MAX = 8
export const DISPLAY_NAME_MAX = 64
export const STATUS_TEXT_MAX = 100
/** Code points of a status emoji (flags, skin tones and ZWJ sequences take several). */
export const STATUS_EMOJI_MAX = 16

/** Distinct emoji one message may carry (issue 16). */
export const REACTIONS_PER_MESSAGE_MAX = 20

// Uploads (issue 21). The server's limits are configurable (UPLOAD_MAX_BYTES, UPLOAD_MAX_PER_MESSAGE);
// `GET /api/uploads/limits` tells the web the ones in force. These are the hard ceilings of the contract.
/** Attachments one message may hold, at most, whatever the configuration says. */
export const ATTACHMENTS_CEILING = 20
/** Code points of an uploaded file's name. */
export const FILE_NAME_MAX = 200
