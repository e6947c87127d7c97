-- Slash commands, the room bot and escalations (issue 20).

-- The bot has no password (it cannot log in) and is flagged, so no auth path ever accepts it.
ALTER TABLE "User" ALTER COLUMN "passwordHash" DROP NOT NULL;
ALTER TABLE "User" ADD COLUMN "isBot" BOOLEAN NOT NULL DEFAULT false;

-- The one bot user, with a fixed id (contract BOT_USER_ID). Its username has a dot, which no
-- registration accepts, so no person can ever hold it or be mistaken for it.
INSERT INTO "User" ("id", "username", "email", "passwordHash", "isBot")
VALUES ('00000000-0000-4000-8000-0000000000b0', 'parlor.bot', 'bot@parlor.invalid', NULL, true)
ON CONFLICT ("id") DO NOTHING;

-- CreateEnum
CREATE TYPE "EscalationStatus" AS ENUM ('open', 'resolved');

-- CreateTable
CREATE TABLE "Escalation" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "roomId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "EscalationStatus" NOT NULL DEFAULT 'open',
    "clientMsgId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),
    "resolvedBy" TEXT,
    CONSTRAINT "Escalation_pkey" PRIMARY KEY ("id")
);

-- A retried command (same clientMsgId, any instance) finds the escalation it opened.
CREATE UNIQUE INDEX "Escalation_userId_clientMsgId_key" ON "Escalation"("userId", "clientMsgId");
CREATE INDEX "Escalation_roomId_status_idx" ON "Escalation"("roomId", "status");
-- At most one open escalation per person per room.
CREATE UNIQUE INDEX "Escalation_one_open_per_person" ON "Escalation"("roomId", "userId") WHERE "status" = 'open';

-- AddForeignKey
ALTER TABLE "Escalation" ADD CONSTRAINT "Escalation_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Escalation" ADD CONSTRAINT "Escalation_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
