-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- DropIndex
DROP INDEX "Lead_organizationId_email_idx";

-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "callAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "conversionProbability" DOUBLE PRECISION,
ADD COLUMN     "disqualificationReason" TEXT,
ADD COLUMN     "interests" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "lastContactedAt" TIMESTAMPTZ(3),
ADD COLUMN     "nextFollowUpAt" TIMESTAMPTZ(3),
ADD COLUMN     "scoreBreakdown" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "scoreIsManual" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "searchText" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "vertical" TEXT,
ADD COLUMN     "website" TEXT;

-- Backfill: must match leadSearchText() in packages/api/src/routers/leads/search-text.ts
UPDATE "Lead" SET "searchText" = lower(concat_ws(' ', "firstName", "lastName", "email", "phone", "companyName"));

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "leadHotThreshold" INTEGER NOT NULL DEFAULT 70;

-- CreateTable
CREATE TABLE "LeadNote" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "leadId" UUID NOT NULL,
    "authorUserId" UUID,
    "authorApiKeyId" UUID,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeadNote_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LeadNote_leadId_createdAt_idx" ON "LeadNote"("leadId", "createdAt");

-- CreateIndex
CREATE INDEX "Lead_organizationId_score_id_idx" ON "Lead"("organizationId", "score", "id");

-- CreateIndex
CREATE INDEX "Lead_organizationId_lastName_id_idx" ON "Lead"("organizationId", "lastName", "id");

-- CreateIndex
CREATE INDEX "Lead_organizationId_firstName_id_idx" ON "Lead"("organizationId", "firstName", "id");

-- CreateIndex
CREATE INDEX "Lead_organizationId_nextFollowUpAt_id_idx" ON "Lead"("organizationId", "nextFollowUpAt", "id");

-- CreateIndex
CREATE INDEX "Lead_organizationId_source_idx" ON "Lead"("organizationId", "source");

-- CreateIndex
CREATE INDEX "Lead_organizationId_vertical_idx" ON "Lead"("organizationId", "vertical");

-- CreateIndex
CREATE INDEX "Lead_tags_idx" ON "Lead" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Lead_searchText_idx" ON "Lead" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Lead_live_email_key" ON "Lead"("organizationId", "email") WHERE ("deletedAt" IS NULL);

-- AddForeignKey
ALTER TABLE "LeadNote" ADD CONSTRAINT "LeadNote_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead"("id") ON DELETE CASCADE ON UPDATE CASCADE;
