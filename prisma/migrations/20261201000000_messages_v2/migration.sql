-- Messages v2 (issue 14): message kinds, edit and delete, and a per-room change number (rev).

-- CreateEnum
CREATE TYPE "MessageKind" AS ENUM ('user', 'system', 'bot');

-- AlterTable: every message so far was created once and never changed, so its rev is its seq,
-- and the rev of each room is its last seq.
ALTER TABLE "Message" ADD COLUMN "deletedAt" TIMESTAMPTZ(3),
ADD COLUMN "editedAt" TIMESTAMPTZ(3),
ADD COLUMN "kind" "MessageKind" NOT NULL DEFAULT 'user',
ADD COLUMN "notice" JSONB,
ADD COLUMN "rev" INTEGER,
ALTER COLUMN "authorId" DROP NOT NULL;
UPDATE "Message" SET "rev" = "seq";
ALTER TABLE "Message" ALTER COLUMN "rev" SET NOT NULL;

-- A message of kind user always has its author, notices and bot messages have none.
ALTER TABLE "Message" ADD CONSTRAINT "Message_user_has_author" CHECK ("kind" <> 'user' OR "authorId" IS NOT NULL);

-- AlterTable
ALTER TABLE "Room" ADD COLUMN "rev" INTEGER NOT NULL DEFAULT 0;
UPDATE "Room" SET "rev" = "lastSeq";

-- CreateIndex: the change stream reads the messages of a room by rev.
CREATE UNIQUE INDEX "Message_roomId_rev_key" ON "Message"("roomId", "rev");
