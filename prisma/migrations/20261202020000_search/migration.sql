-- Search and live filters (issue 17).
-- pg_trgm ships with PostgreSQL (and with the embedded PGlite, loaded in db/embedded.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Hashtags of a message, lower-cased, written with the message and on every edit by the server
-- (contract/search-query.ts extractHashtags). Existing messages get them from the same rule in SQL.
ALTER TABLE "Message" ADD COLUMN "hashtags" TEXT[] NOT NULL DEFAULT '{}';
UPDATE "Message" SET "hashtags" = ARRAY(
  SELECT DISTINCT lower(x[1]) FROM regexp_matches("content", '(?:^|[^[:alnum:]_&/#])#([[:alnum:]_]+(?:-[[:alnum:]_]+)*)', 'g') AS x
  WHERE length(x[1]) <= 64)
WHERE "content" LIKE '%#%' AND "deletedAt" IS NULL;

CREATE INDEX "Message_hashtags_idx" ON "Message" USING GIN ("hashtags");

-- Words: full-text search over the runs of ASCII letters and digits of the content (search/search.sql.ts
-- uses exactly this expression, so the index serves it).
CREATE INDEX "Message_words_idx" ON "Message" USING GIN (to_tsvector('simple'::regconfig, regexp_replace("content", '[^A-Za-z0-9]+', ' ', 'g')));

-- Everything else (punctuation, partial words, CJK, emoji, phrases): trigram index for LIKE.
CREATE INDEX "Message_content_trgm_idx" ON "Message" USING GIN (lower("content") gin_trgm_ops);

-- Newest-first order and date ranges.
CREATE INDEX "Message_createdAt_idx" ON "Message" ("createdAt");

CREATE TABLE "SavedFilter" (
  "id" UUID NOT NULL DEFAULT gen_random_uuid(),
  "userId" UUID NOT NULL,
  "name" TEXT NOT NULL,
  "query" TEXT NOT NULL,
  "roomId" UUID,
  "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "SavedFilter_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "SavedFilter_userId_idx" ON "SavedFilter" ("userId");
ALTER TABLE "SavedFilter" ADD CONSTRAINT "SavedFilter_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SavedFilter" ADD CONSTRAINT "SavedFilter_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room" ("id") ON DELETE CASCADE ON UPDATE CASCADE;
