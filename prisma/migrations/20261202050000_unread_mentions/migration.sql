-- Unread counts, read pointers, mentions and read receipts (issue 18).

-- CreateEnum: what a person wants to be notified of in one room (NULL on the pointer: the default,
-- every message in private rooms and direct conversations, mentions only in public rooms).
CREATE TYPE "NotifyLevel" AS ENUM ('all', 'mentions', 'nothing');

-- CreateTable: one row per person per room they follow, the seq of the newest message they have
-- seen. Moved forward only (except an explicit mark unread), never one row per reader per message.
CREATE TABLE "ReadPointer" (
    "roomId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "lastReadSeq" INTEGER NOT NULL DEFAULT 0,
    "notify" "NotifyLevel",
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "ReadPointer_pkey" PRIMARY KEY ("roomId", "userId"),
    CONSTRAINT "ReadPointer_lastReadSeq_check" CHECK ("lastReadSeq" >= 0)
);
CREATE INDEX "ReadPointer_userId_idx" ON "ReadPointer"("userId");
ALTER TABLE "ReadPointer" ADD CONSTRAINT "ReadPointer_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ReadPointer" ADD CONSTRAINT "ReadPointer_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable: who a message mentions (parsed from its text on the server, only people who can read
-- the room), so mention counts survive reloads and an edit that adds a mention notifies once.
CREATE TABLE "Mention" (
    "messageId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "roomId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "Mention_pkey" PRIMARY KEY ("messageId", "userId")
);
CREATE INDEX "Mention_userId_roomId_seq_idx" ON "Mention"("userId", "roomId", "seq");
ALTER TABLE "Mention" ADD CONSTRAINT "Mention_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Mention" ADD CONSTRAINT "Mention_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Mention" ADD CONSTRAINT "Mention_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable: a person may keep their own read receipts to themselves.
ALTER TABLE "User" ADD COLUMN "readReceipts" BOOLEAN NOT NULL DEFAULT true;

-- Existing participants have read what their rooms hold so far (no flood of old unread messages).
INSERT INTO "ReadPointer" ("roomId", "userId", "lastReadSeq")
SELECT p."roomId", p."userId", r."lastSeq" FROM "RoomParticipant" p JOIN "Room" r ON r."id" = p."roomId";
