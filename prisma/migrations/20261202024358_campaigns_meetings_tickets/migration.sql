-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "btree_gist";

-- CreateEnum
CREATE TYPE "CampaignType" AS ENUM ('email', 'social', 'event', 'webinar', 'ads', 'content', 'referral', 'other');

-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('draft', 'scheduled', 'active', 'paused', 'completed', 'cancelled');

-- CreateEnum
CREATE TYPE "CampaignMemberStatus" AS ENUM ('targeted', 'sent', 'opened', 'clicked', 'responded', 'converted', 'unsubscribed');

-- CreateEnum
CREATE TYPE "MeetingStatus" AS ENUM ('scheduled', 'completed', 'cancelled', 'no_show');

-- CreateEnum
CREATE TYPE "AttendeeResponse" AS ENUM ('needs_action', 'accepted', 'declined', 'tentative');

-- CreateEnum
CREATE TYPE "TicketPriority" AS ENUM ('low', 'medium', 'high', 'urgent');

-- CreateEnum
CREATE TYPE "TicketStatus" AS ENUM ('new', 'open', 'pending', 'on_hold', 'resolved', 'closed');

-- CreateEnum
CREATE TYPE "TicketChannel" AS ENUM ('email', 'phone', 'web', 'chat');

-- AlterTable
ALTER TABLE "Deal" ADD COLUMN     "sourceCampaignId" UUID;

-- AlterTable
ALTER TABLE "Interaction" ADD COLUMN     "meetingId" UUID;

-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "sourceCampaignId" UUID;

-- CreateTable
CREATE TABLE "Campaign" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "type" "CampaignType" NOT NULL,
    "status" "CampaignStatus" NOT NULL DEFAULT 'draft',
    "currency" CHAR(3),
    "budget" DECIMAL(18,2),
    "actualCost" DECIMAL(18,2),
    "expectedRevenue" DECIMAL(18,2),
    "startDate" DATE,
    "endDate" DATE,
    "ownerId" UUID,
    "description" TEXT,
    "targetAudience" TEXT,
    "parentId" UUID,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "scheduledAt" TIMESTAMPTZ(3),
    "activatedAt" TIMESTAMPTZ(3),
    "pausedAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "cancelledAt" TIMESTAMPTZ(3),
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignMember" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "leadId" UUID,
    "contactId" UUID,
    "status" "CampaignMemberStatus" NOT NULL DEFAULT 'targeted',
    "targetedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "openedAt" TIMESTAMPTZ(3),
    "clickedAt" TIMESTAMPTZ(3),
    "respondedAt" TIMESTAMPTZ(3),
    "convertedAt" TIMESTAMPTZ(3),
    "unsubscribedAt" TIMESTAMPTZ(3),
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CampaignMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Meeting" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "startAt" TIMESTAMPTZ(3) NOT NULL,
    "endAt" TIMESTAMPTZ(3) NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "location" TEXT,
    "videoUrl" TEXT,
    "organizerId" UUID NOT NULL,
    "status" "MeetingStatus" NOT NULL DEFAULT 'scheduled',
    "outcome" TEXT,
    "leadId" UUID,
    "contactId" UUID,
    "companyId" UUID,
    "dealId" UUID,
    "sequence" INTEGER NOT NULL DEFAULT 0,
    "cancelledAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Meeting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MeetingAttendee" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "meetingId" UUID NOT NULL,
    "userId" UUID,
    "contactId" UUID,
    "response" "AttendeeResponse" NOT NULL DEFAULT 'needs_action',
    "respondedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MeetingAttendee_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Ticket" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "subject" TEXT NOT NULL,
    "description" TEXT,
    "priority" "TicketPriority" NOT NULL DEFAULT 'medium',
    "status" "TicketStatus" NOT NULL DEFAULT 'new',
    "category" TEXT,
    "channel" "TicketChannel",
    "contactId" UUID,
    "companyId" UUID,
    "assigneeId" UUID,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "slaPolicyId" UUID,
    "firstResponseDueAt" TIMESTAMPTZ(3),
    "firstResponseAtRiskAt" TIMESTAMPTZ(3),
    "resolutionDueAt" TIMESTAMPTZ(3),
    "resolutionAtRiskAt" TIMESTAMPTZ(3),
    "slaPausedAt" TIMESTAMPTZ(3),
    "slaPausedSeconds" INTEGER NOT NULL DEFAULT 0,
    "firstResponseAt" TIMESTAMPTZ(3),
    "firstResponseSeconds" INTEGER,
    "resolvedAt" TIMESTAMPTZ(3),
    "resolutionSeconds" INTEGER,
    "closedAt" TIMESTAMPTZ(3),
    "reopenedCount" INTEGER NOT NULL DEFAULT 0,
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketCounter" (
    "organizationId" UUID NOT NULL,
    "last" INTEGER NOT NULL DEFAULT 1000,

    CONSTRAINT "TicketCounter_pkey" PRIMARY KEY ("organizationId")
);

-- CreateTable
CREATE TABLE "TicketComment" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "ticketId" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "isPublic" BOOLEAN NOT NULL DEFAULT true,
    "authorUserId" UUID,
    "authorApiKeyId" UUID,
    "authorContactId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "TicketComment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlaPolicy" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "targets" JSONB NOT NULL,
    "businessHours" JSONB,
    "timeZone" TEXT NOT NULL DEFAULT 'UTC',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "SlaPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Campaign_organizationId_createdAt_id_idx" ON "Campaign"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_updatedAt_id_idx" ON "Campaign"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_name_id_idx" ON "Campaign"("organizationId", "name", "id");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_startDate_id_idx" ON "Campaign"("organizationId", "startDate", "id");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_status_idx" ON "Campaign"("organizationId", "status");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_type_idx" ON "Campaign"("organizationId", "type");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_ownerId_idx" ON "Campaign"("organizationId", "ownerId");

-- CreateIndex
CREATE INDEX "Campaign_organizationId_parentId_idx" ON "Campaign"("organizationId", "parentId");

-- CreateIndex
CREATE INDEX "Campaign_tags_idx" ON "Campaign" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Campaign_searchText_idx" ON "Campaign" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Campaign_organizationId_id_key" ON "Campaign"("organizationId", "id");

-- CreateIndex
CREATE INDEX "CampaignMember_organizationId_campaignId_status_idx" ON "CampaignMember"("organizationId", "campaignId", "status");

-- CreateIndex
CREATE INDEX "CampaignMember_organizationId_campaignId_createdAt_id_idx" ON "CampaignMember"("organizationId", "campaignId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "CampaignMember_organizationId_leadId_targetedAt_id_idx" ON "CampaignMember"("organizationId", "leadId", "targetedAt", "id");

-- CreateIndex
CREATE INDEX "CampaignMember_organizationId_contactId_targetedAt_id_idx" ON "CampaignMember"("organizationId", "contactId", "targetedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignMember_campaignId_leadId_key" ON "CampaignMember"("campaignId", "leadId");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignMember_campaignId_contactId_key" ON "CampaignMember"("campaignId", "contactId");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_createdAt_id_idx" ON "Meeting"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_updatedAt_id_idx" ON "Meeting"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_startAt_id_idx" ON "Meeting"("organizationId", "startAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_title_id_idx" ON "Meeting"("organizationId", "title", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_organizerId_startAt_idx" ON "Meeting"("organizationId", "organizerId", "startAt");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_status_idx" ON "Meeting"("organizationId", "status");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_leadId_startAt_id_idx" ON "Meeting"("organizationId", "leadId", "startAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_contactId_startAt_id_idx" ON "Meeting"("organizationId", "contactId", "startAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_companyId_startAt_id_idx" ON "Meeting"("organizationId", "companyId", "startAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_organizationId_dealId_startAt_id_idx" ON "Meeting"("organizationId", "dealId", "startAt", "id");

-- CreateIndex
CREATE INDEX "Meeting_searchText_idx" ON "Meeting" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Meeting_organizationId_id_key" ON "Meeting"("organizationId", "id");

-- CreateIndex
CREATE INDEX "MeetingAttendee_organizationId_userId_meetingId_idx" ON "MeetingAttendee"("organizationId", "userId", "meetingId");

-- CreateIndex
CREATE INDEX "MeetingAttendee_organizationId_contactId_idx" ON "MeetingAttendee"("organizationId", "contactId");

-- CreateIndex
CREATE UNIQUE INDEX "MeetingAttendee_organizationId_id_key" ON "MeetingAttendee"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "MeetingAttendee_meetingId_userId_key" ON "MeetingAttendee"("meetingId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "MeetingAttendee_meetingId_contactId_key" ON "MeetingAttendee"("meetingId", "contactId");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_createdAt_id_idx" ON "Ticket"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_updatedAt_id_idx" ON "Ticket"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_status_priority_idx" ON "Ticket"("organizationId", "status", "priority");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_assigneeId_idx" ON "Ticket"("organizationId", "assigneeId");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_resolutionDueAt_idx" ON "Ticket"("organizationId", "resolutionDueAt");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_firstResponseDueAt_idx" ON "Ticket"("organizationId", "firstResponseDueAt");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_contactId_createdAt_id_idx" ON "Ticket"("organizationId", "contactId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Ticket_organizationId_companyId_createdAt_id_idx" ON "Ticket"("organizationId", "companyId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Ticket_tags_idx" ON "Ticket" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Ticket_searchText_idx" ON "Ticket" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Ticket_organizationId_id_key" ON "Ticket"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Ticket_organizationId_number_key" ON "Ticket"("organizationId", "number");

-- CreateIndex
CREATE INDEX "TicketComment_organizationId_ticketId_createdAt_id_idx" ON "TicketComment"("organizationId", "ticketId", "createdAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "TicketComment_organizationId_id_key" ON "TicketComment"("organizationId", "id");

-- CreateIndex
CREATE INDEX "SlaPolicy_organizationId_createdAt_id_idx" ON "SlaPolicy"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "SlaPolicy_organizationId_updatedAt_id_idx" ON "SlaPolicy"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "SlaPolicy_organizationId_name_id_idx" ON "SlaPolicy"("organizationId", "name", "id");

-- CreateIndex
CREATE UNIQUE INDEX "SlaPolicy_organizationId_id_key" ON "SlaPolicy"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "SlaPolicy_one_default_key" ON "SlaPolicy"("organizationId") WHERE ("isDefault" AND "deletedAt" IS NULL);

-- CreateIndex
CREATE UNIQUE INDEX "SlaPolicy_live_name_key" ON "SlaPolicy"("organizationId", "name") WHERE ("deletedAt" IS NULL);

-- CreateIndex
CREATE INDEX "Deal_organizationId_sourceCampaignId_idx" ON "Deal"("organizationId", "sourceCampaignId");

-- CreateIndex
CREATE INDEX "Interaction_organizationId_meetingId_idx" ON "Interaction"("organizationId", "meetingId");

-- CreateIndex
CREATE INDEX "Lead_organizationId_sourceCampaignId_idx" ON "Lead"("organizationId", "sourceCampaignId");

-- AddForeignKey
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_owner_fkey" FOREIGN KEY ("organizationId", "ownerId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_parent_fkey" FOREIGN KEY ("organizationId", "parentId") REFERENCES "Campaign"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_campaign_fkey" FOREIGN KEY ("organizationId", "campaignId") REFERENCES "Campaign"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_lead_fkey" FOREIGN KEY ("organizationId", "leadId") REFERENCES "Lead"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_sourceCampaign_fkey" FOREIGN KEY ("organizationId", "sourceCampaignId") REFERENCES "Campaign"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Interaction" ADD CONSTRAINT "Interaction_meeting_fkey" FOREIGN KEY ("organizationId", "meetingId") REFERENCES "Meeting"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Lead" ADD CONSTRAINT "Lead_sourceCampaign_fkey" FOREIGN KEY ("organizationId", "sourceCampaignId") REFERENCES "Campaign"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_organizer_fkey" FOREIGN KEY ("organizationId", "organizerId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_lead_fkey" FOREIGN KEY ("organizationId", "leadId") REFERENCES "Lead"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_company_fkey" FOREIGN KEY ("organizationId", "companyId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_deal_fkey" FOREIGN KEY ("organizationId", "dealId") REFERENCES "Deal"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "MeetingAttendee" ADD CONSTRAINT "MeetingAttendee_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MeetingAttendee" ADD CONSTRAINT "MeetingAttendee_meeting_fkey" FOREIGN KEY ("organizationId", "meetingId") REFERENCES "Meeting"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "MeetingAttendee" ADD CONSTRAINT "MeetingAttendee_member_fkey" FOREIGN KEY ("organizationId", "userId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "MeetingAttendee" ADD CONSTRAINT "MeetingAttendee_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_company_fkey" FOREIGN KEY ("organizationId", "companyId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_assignee_fkey" FOREIGN KEY ("organizationId", "assigneeId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_slaPolicy_fkey" FOREIGN KEY ("organizationId", "slaPolicyId") REFERENCES "SlaPolicy"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "TicketCounter" ADD CONSTRAINT "TicketCounter_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketComment" ADD CONSTRAINT "TicketComment_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketComment" ADD CONSTRAINT "TicketComment_ticket_fkey" FOREIGN KEY ("organizationId", "ticketId") REFERENCES "Ticket"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "TicketComment" ADD CONSTRAINT "TicketComment_authorContact_fkey" FOREIGN KEY ("organizationId", "authorContactId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "SlaPolicy" ADD CONSTRAINT "SlaPolicy_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- What Prisma cannot express: the rows' own rules, and the range index of meeting overlaps.
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_money_currency_check"
  CHECK (("budget" IS NULL AND "actualCost" IS NULL AND "expectedRevenue" IS NULL) OR "currency" IS NOT NULL);
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_money_check"
  CHECK (coalesce("budget", 0) >= 0 AND coalesce("actualCost", 0) >= 0 AND coalesce("expectedRevenue", 0) >= 0);
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_dates_check" CHECK ("endDate" IS NULL OR "startDate" IS NULL OR "endDate" >= "startDate");
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_parent_not_self_check" CHECK ("parentId" IS NULL OR "parentId" <> "id");
ALTER TABLE "CampaignMember" ADD CONSTRAINT "CampaignMember_one_target_check" CHECK (("leadId" IS NULL) <> ("contactId" IS NULL));
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_time_check" CHECK ("endAt" > "startAt");
ALTER TABLE "Meeting" ADD CONSTRAINT "Meeting_sequence_check" CHECK ("sequence" >= 0);
ALTER TABLE "MeetingAttendee" ADD CONSTRAINT "MeetingAttendee_one_attendee_check" CHECK (("userId" IS NULL) <> ("contactId" IS NULL));
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_number_check" CHECK ("number" > 0);
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_sla_seconds_check"
  CHECK ("slaPausedSeconds" >= 0 AND coalesce("firstResponseSeconds", 0) >= 0 AND coalesce("resolutionSeconds", 0) >= 0);
ALTER TABLE "TicketComment" ADD CONSTRAINT "TicketComment_one_author_check"
  CHECK (num_nonnulls("authorUserId", "authorApiKeyId", "authorContactId") <= 1);

-- Overlaps of scheduled meetings: `tstzrange("startAt", "endAt", '[)') && tstzrange($from, $to, '[)')` within an
-- organization reads this index (half-open: a meeting ending at 10:00 does not overlap one starting at 10:00).
CREATE INDEX "Meeting_scheduled_during_idx" ON "Meeting" USING gist ("organizationId", tstzrange("startAt", "endAt", '[)'))
  WHERE "status" = 'scheduled' AND "deletedAt" IS NULL;
