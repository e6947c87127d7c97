-- Direct messages, profiles and account settings (issue 19).

-- CreateEnum: a room is an ordinary room or a direct conversation between a fixed set of people.
CREATE TYPE "RoomKind" AS ENUM ('room', 'dm');

-- CreateEnum: the presence a person chose (shown while they are connected, offline otherwise).
CREATE TYPE "UserPresence" AS ENUM ('online', 'away', 'dnd');

-- AlterTable: dmKey is the sorted member ids of a direct conversation (NULL for other rooms), unique
-- so that one set of people has exactly one conversation.
ALTER TABLE "Room" ADD COLUMN "kind" "RoomKind" NOT NULL DEFAULT 'room',
ADD COLUMN "dmKey" TEXT;
CREATE UNIQUE INDEX "Room_dmKey_key" ON "Room"("dmKey");

-- AlterTable: set while a member has closed a direct conversation (hidden until the next message).
ALTER TABLE "RoomParticipant" ADD COLUMN "closedAt" TIMESTAMPTZ(3);

-- AlterTable: the profile.
ALTER TABLE "User" ADD COLUMN "displayName" TEXT,
ADD COLUMN "statusText" TEXT NOT NULL DEFAULT '',
ADD COLUMN "statusEmoji" TEXT NOT NULL DEFAULT '',
ADD COLUMN "presence" "UserPresence" NOT NULL DEFAULT 'online';

-- A deleted account keeps its messages, with no author (shown as Deleted user): the author link is
-- set to NULL instead of deleting the rows, so a user message may now have no author.
ALTER TABLE "Message" DROP CONSTRAINT "Message_user_has_author";
ALTER TABLE "Message" DROP CONSTRAINT "Message_authorId_fkey";
ALTER TABLE "Message" ADD CONSTRAINT "Message_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
