-- Replies, votes and reactions (issue 16).

-- AlterTable: a reply points at the first message of its thread (one level, like Slack). The root
-- carries its thread summary and its vote and reaction counts, all recomputed from the rows below
-- in the transaction of every change, never incremented.
ALTER TABLE "Message" ADD COLUMN "threadRootId" UUID,
ADD COLUMN "alsoInRoom" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "replyCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "lastReplyAt" TIMESTAMPTZ(3),
ADD COLUMN "repliers" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "upvotes" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "downvotes" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "reactions" JSONB NOT NULL DEFAULT '[]';

ALTER TABLE "Message" ADD CONSTRAINT "Message_threadRootId_fkey" FOREIGN KEY ("threadRootId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex: a thread is read by its root, in time order.
CREATE INDEX "Message_threadRootId_seq_idx" ON "Message"("threadRootId", "seq");

-- CreateIndex: the top view of a room, by score then time.
CREATE INDEX "Message_roomId_score_idx" ON "Message"("roomId", (("upvotes" - "downvotes")) DESC, "createdAt" DESC);

-- CreateTable: one vote per user per message, up (1) or down (-1).
CREATE TABLE "MessageVote" (
    "messageId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "value" SMALLINT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MessageVote_pkey" PRIMARY KEY ("messageId", "userId"),
    CONSTRAINT "MessageVote_value_check" CHECK ("value" IN (1, -1))
);

-- CreateTable: one reaction per user per emoji per message.
CREATE TABLE "MessageReaction" (
    "messageId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "emoji" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "MessageReaction_pkey" PRIMARY KEY ("messageId", "userId", "emoji")
);

-- CreateIndex
CREATE INDEX "MessageVote_userId_idx" ON "MessageVote"("userId");
CREATE INDEX "MessageReaction_userId_idx" ON "MessageReaction"("userId");

-- AddForeignKey
ALTER TABLE "MessageVote" ADD CONSTRAINT "MessageVote_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MessageVote" ADD CONSTRAINT "MessageVote_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MessageReaction" ADD CONSTRAINT "MessageReaction_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MessageReaction" ADD CONSTRAINT "MessageReaction_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
