-- File uploads, image thumbnails and profile pictures (issue 21).

-- CreateTable: one uploaded file. It is stored before its message exists (messageId NULL) and is
-- readable only once a message holds it. The room, uploader and message links are set to NULL when
-- those go, and the sweeper then deletes the row and its stored bytes.
CREATE TABLE "Upload" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "roomId" UUID,
    "uploaderId" UUID,
    "messageId" UUID,
    "name" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "contentType" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "width" INTEGER,
    "height" INTEGER,
    "hasThumb" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attachedAt" TIMESTAMPTZ(3),
    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Upload_messageId_idx" ON "Upload"("messageId");
CREATE INDEX "Upload_createdAt_idx" ON "Upload"("createdAt");
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_uploaderId_fkey" FOREIGN KEY ("uploaderId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateTable: the bytes of files and pictures when the storage is the database (the default).
CREATE TABLE "StoredObject" (
    "key" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "StoredObject_pkey" PRIMARY KEY ("key")
);

-- AlterTable: a message keeps what its attachments are (name, size, type, dimensions) with it, so
-- every read of messages has them without a join. Emptied when the message is deleted.
ALTER TABLE "Message" ADD COLUMN "attachments" JSONB NOT NULL DEFAULT '[]';

-- AlterTable: the profile picture, a random id that names its stored image (new at every upload).
ALTER TABLE "User" ADD COLUMN "avatarId" TEXT;
CREATE UNIQUE INDEX "User_avatarId_key" ON "User"("avatarId");
