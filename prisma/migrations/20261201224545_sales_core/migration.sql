-- CreateEnum
CREATE TYPE "StageKind" AS ENUM ('open', 'won', 'lost');

-- CreateEnum
CREATE TYPE "DealStatus" AS ENUM ('open', 'won', 'lost');

-- CreateEnum
CREATE TYPE "EmploymentStatus" AS ENUM ('active', 'on_leave', 'terminated');

-- CreateEnum
CREATE TYPE "InteractionKind" AS ENUM ('call', 'email', 'meeting', 'note', 'sms', 'task', 'other');

-- CreateEnum
CREATE TYPE "InteractionDirection" AS ENUM ('inbound', 'outbound');

-- AlterEnum
ALTER TYPE "LeadStatus" ADD VALUE 'converted';

-- DropIndex
DROP INDEX "AuditLog_organizationId_entityType_entityId_createdAt_idx";

-- AlterTable
ALTER TABLE "Company" ADD COLUMN     "lastContactedAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "convertedAt" TIMESTAMPTZ(3),
ADD COLUMN     "convertedCompanyId" UUID,
ADD COLUMN     "convertedContactId" UUID,
ADD COLUMN     "convertedDealId" UUID;

-- AlterTable
ALTER TABLE "Membership" ADD COLUMN     "employmentStatus" "EmploymentStatus" NOT NULL DEFAULT 'active',
ADD COLUMN     "managerId" UUID,
ADD COLUMN     "startDate" DATE,
ADD COLUMN     "terminatedAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "Pipeline" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Pipeline_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PipelineStage" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "pipelineId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "probability" DECIMAL(5,4) NOT NULL,
    "kind" "StageKind" NOT NULL DEFAULT 'open',
    "rottingDays" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "PipelineStage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deal" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "amount" DECIMAL(18,2),
    "currency" CHAR(3),
    "pipelineId" UUID NOT NULL,
    "stageId" UUID NOT NULL,
    "status" "DealStatus" NOT NULL DEFAULT 'open',
    "probability" DECIMAL(5,4),
    "contactId" UUID,
    "companyId" UUID,
    "ownerId" UUID,
    "expectedCloseDate" DATE,
    "closedAt" TIMESTAMPTZ(3),
    "lostReason" TEXT,
    "sourceLeadId" UUID,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "stageEnteredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rotsAt" TIMESTAMPTZ(3),
    "lastContactedAt" TIMESTAMPTZ(3),
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Deal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DealStageChange" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "dealId" UUID NOT NULL,
    "pipelineId" UUID NOT NULL,
    "fromStageId" UUID,
    "stageId" UUID NOT NULL,
    "status" "DealStatus" NOT NULL,
    "enteredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leftAt" TIMESTAMPTZ(3),
    "actorUserId" UUID,
    "actorApiKeyId" UUID,

    CONSTRAINT "DealStageChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Interaction" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "kind" "InteractionKind" NOT NULL,
    "direction" "InteractionDirection",
    "subject" TEXT,
    "body" TEXT,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "durationMinutes" INTEGER,
    "outcome" TEXT,
    "authorId" UUID,
    "leadId" UUID,
    "contactId" UUID,
    "companyId" UUID,
    "dealId" UUID,
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Interaction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Pipeline_organizationId_createdAt_id_idx" ON "Pipeline"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Pipeline_organizationId_updatedAt_id_idx" ON "Pipeline"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Pipeline_organizationId_name_id_idx" ON "Pipeline"("organizationId", "name", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Pipeline_organizationId_id_key" ON "Pipeline"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Pipeline_one_default_key" ON "Pipeline"("organizationId") WHERE ("isDefault" AND "deletedAt" IS NULL);

-- CreateIndex
CREATE UNIQUE INDEX "Pipeline_live_name_key" ON "Pipeline"("organizationId", "name") WHERE ("deletedAt" IS NULL);

-- CreateIndex
CREATE INDEX "PipelineStage_organizationId_pipelineId_position_idx" ON "PipelineStage"("organizationId", "pipelineId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "PipelineStage_organizationId_id_key" ON "PipelineStage"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "PipelineStage_live_name_key" ON "PipelineStage"("pipelineId", "name") WHERE ("deletedAt" IS NULL);

-- CreateIndex
CREATE INDEX "Deal_organizationId_createdAt_id_idx" ON "Deal"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Deal_organizationId_updatedAt_id_idx" ON "Deal"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Deal_organizationId_name_id_idx" ON "Deal"("organizationId", "name", "id");

-- CreateIndex
CREATE INDEX "Deal_organizationId_pipelineId_stageId_status_idx" ON "Deal"("organizationId", "pipelineId", "stageId", "status");

-- CreateIndex
CREATE INDEX "Deal_organizationId_stageId_createdAt_id_idx" ON "Deal"("organizationId", "stageId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Deal_organizationId_ownerId_idx" ON "Deal"("organizationId", "ownerId");

-- CreateIndex
CREATE INDEX "Deal_organizationId_contactId_idx" ON "Deal"("organizationId", "contactId");

-- CreateIndex
CREATE INDEX "Deal_organizationId_companyId_idx" ON "Deal"("organizationId", "companyId");

-- CreateIndex
CREATE INDEX "Deal_organizationId_sourceLeadId_idx" ON "Deal"("organizationId", "sourceLeadId");

-- CreateIndex
CREATE INDEX "Deal_organizationId_expectedCloseDate_idx" ON "Deal"("organizationId", "expectedCloseDate");

-- CreateIndex
CREATE INDEX "Deal_organizationId_rotsAt_idx" ON "Deal"("organizationId", "rotsAt");

-- CreateIndex
CREATE INDEX "Deal_tags_idx" ON "Deal" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Deal_searchText_idx" ON "Deal" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Deal_organizationId_id_key" ON "Deal"("organizationId", "id");

-- CreateIndex
CREATE INDEX "DealStageChange_organizationId_dealId_enteredAt_id_idx" ON "DealStageChange"("organizationId", "dealId", "enteredAt", "id");

-- CreateIndex
CREATE INDEX "DealStageChange_organizationId_stageId_idx" ON "DealStageChange"("organizationId", "stageId");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_createdAt_id_idx" ON "Interaction"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_updatedAt_id_idx" ON "Interaction"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_occurredAt_id_idx" ON "Interaction"("organizationId", "occurredAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_leadId_occurredAt_id_idx" ON "Interaction"("organizationId", "leadId", "occurredAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_contactId_occurredAt_id_idx" ON "Interaction"("organizationId", "contactId", "occurredAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_companyId_occurredAt_id_idx" ON "Interaction"("organizationId", "companyId", "occurredAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_dealId_occurredAt_id_idx" ON "Interaction"("organizationId", "dealId", "occurredAt", "id");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_authorId_idx" ON "Interaction"("organizationId", "authorId");

-- CreateIndex
CREATE INDEX "Interaction_searchText_idx" ON "Interaction" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Interaction_organizationId_id_key" ON "Interaction"("organizationId", "id");

-- CreateIndex
CREATE INDEX "AuditLog_organizationId_entityType_entityId_createdAt_id_idx" ON "AuditLog"("organizationId", "entityType", "entityId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Lead_organizationId_convertedContactId_idx" ON "Lead"("organizationId", "convertedContactId");

-- CreateIndex
CREATE INDEX "Lead_organizationId_convertedCompanyId_idx" ON "Lead"("organizationId", "convertedCompanyId");

-- CreateIndex
CREATE INDEX "Lead_organizationId_convertedDealId_idx" ON "Lead"("organizationId", "convertedDealId");

-- CreateIndex
CREATE INDEX "Membership_organizationId_managerId_idx" ON "Membership"("organizationId", "managerId");

-- CreateIndex
CREATE INDEX "Membership_organizationId_department_idx" ON "Membership"("organizationId", "department");

-- AddForeignKey
ALTER TABLE "Pipeline" ADD CONSTRAINT "Pipeline_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PipelineStage" ADD CONSTRAINT "PipelineStage_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PipelineStage" ADD CONSTRAINT "PipelineStage_pipeline_fkey" FOREIGN KEY ("organizationId", "pipelineId") REFERENCES "Pipeline"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_pipeline_fkey" FOREIGN KEY ("organizationId", "pipelineId") REFERENCES "Pipeline"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_stage_fkey" FOREIGN KEY ("organizationId", "stageId") REFERENCES "PipelineStage"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_company_fkey" FOREIGN KEY ("organizationId", "companyId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_owner_fkey" FOREIGN KEY ("organizationId", "ownerId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_sourceLead_fkey" FOREIGN KEY ("organizationId", "sourceLeadId") REFERENCES "Lead"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "DealStageChange" ADD CONSTRAINT "DealStageChange_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DealStageChange" ADD CONSTRAINT "DealStageChange_deal_fkey" FOREIGN KEY ("organizationId", "dealId") REFERENCES "Deal"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "DealStageChange" ADD CONSTRAINT "DealStageChange_pipeline_fkey" FOREIGN KEY ("organizationId", "pipelineId") REFERENCES "Pipeline"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "DealStageChange" ADD CONSTRAINT "DealStageChange_fromStage_fkey" FOREIGN KEY ("organizationId", "fromStageId") REFERENCES "PipelineStage"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "DealStageChange" ADD CONSTRAINT "DealStageChange_stage_fkey" FOREIGN KEY ("organizationId", "stageId") REFERENCES "PipelineStage"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_manager_fkey" FOREIGN KEY ("organizationId", "managerId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_author_fkey" FOREIGN KEY ("organizationId", "authorId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_lead_fkey" FOREIGN KEY ("organizationId", "leadId") REFERENCES "Lead"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_company_fkey" FOREIGN KEY ("organizationId", "companyId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_deal_fkey" FOREIGN KEY ("organizationId", "dealId") REFERENCES "Deal"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_convertedContact_fkey" FOREIGN KEY ("organizationId", "convertedContactId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_convertedCompany_fkey" FOREIGN KEY ("organizationId", "convertedCompanyId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_convertedDeal_fkey" FOREIGN KEY ("organizationId", "convertedDealId") REFERENCES "Deal"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- Rules Prisma cannot express.
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_linked_check"
  CHECK ("leadId" IS NOT NULL OR "contactId" IS NOT NULL OR "companyId" IS NOT NULL OR "dealId" IS NOT NULL);
ALTER TABLE "PipelineStage" ADD CONSTRAINT "PipelineStage_probability_check" CHECK ("probability" BETWEEN 0 AND 1);
ALTER TABLE "PipelineStage" ADD CONSTRAINT "PipelineStage_rottingDays_check" CHECK ("rottingDays" IS NULL OR "rottingDays" > 0);
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_probability_check" CHECK ("probability" IS NULL OR "probability" BETWEEN 0 AND 1);
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_amount_currency_check" CHECK (("amount" IS NULL) = ("currency" IS NULL));
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_manager_not_self_check" CHECK ("managerId" IS NULL OR "managerId" <> "userId");

-- Every existing organization gets the default pipeline new organizations are created with
-- (packages/api/src/routers/pipelines/default-pipeline.ts holds the same stages).
WITH "created" AS (
  INSERT INTO "Pipeline" ("id", "organizationId", "name", "isDefault", "updatedAt")
  SELECT gen_random_uuid(), "id", 'Sales', true, CURRENT_TIMESTAMP FROM "Organization"
  RETURNING "id", "organizationId"
)
INSERT INTO "PipelineStage" ("id", "organizationId", "pipelineId", "name", "position", "probability", "kind", "rottingDays", "updatedAt")
SELECT gen_random_uuid(), "created"."organizationId", "created"."id", "stage"."name", "stage"."position", "stage"."probability", "stage"."kind"::"StageKind", "stage"."rottingDays", CURRENT_TIMESTAMP
FROM "created"
CROSS JOIN (VALUES
  ('Qualified', 0, 0.10, 'open', 30),
  ('Meeting scheduled', 1, 0.25, 'open', 21),
  ('Proposal sent', 2, 0.50, 'open', 14),
  ('Negotiation', 3, 0.75, 'open', 14),
  ('Won', 4, 1.00, 'won', NULL),
  ('Lost', 5, 0.00, 'lost', NULL)
) AS "stage" ("name", "position", "probability", "kind", "rottingDays");
