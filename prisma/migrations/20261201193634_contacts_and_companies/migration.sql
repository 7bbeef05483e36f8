-- CreateEnum
CREATE TYPE "CompanyType" AS ENUM ('prospect', 'customer', 'partner', 'vendor', 'other');

-- CreateEnum
CREATE TYPE "CompanySize" AS ENUM ('s1_10', 's11_50', 's51_200', 's201_500', 's501_1000', 's1001_5000', 's5001_plus');

-- CreateEnum
CREATE TYPE "ContactStatus" AS ENUM ('subscriber', 'lead', 'prospect', 'customer', 'churned', 'other');

-- CreateTable
CREATE TABLE "Company" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "domain" TEXT,
    "industry" TEXT,
    "size" "CompanySize",
    "employeeCount" INTEGER,
    "annualRevenue" DECIMAL(18,2),
    "revenueCurrency" CHAR(3),
    "types" "CompanyType"[] DEFAULT ARRAY[]::"CompanyType"[],
    "website" TEXT,
    "phone" TEXT,
    "street" TEXT,
    "city" TEXT,
    "region" TEXT,
    "postalCode" TEXT,
    "country" CHAR(2),
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "ownerId" UUID,
    "parentId" UUID,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "mergedIntoId" UUID,
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Company_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Contact" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "firstName" TEXT NOT NULL,
    "lastName" TEXT,
    "email" TEXT,
    "additionalEmails" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "phone" TEXT,
    "additionalPhones" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "jobTitle" TEXT,
    "status" "ContactStatus" NOT NULL DEFAULT 'lead',
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "ownerId" UUID,
    "primaryCompanyId" UUID,
    "street" TEXT,
    "city" TEXT,
    "region" TEXT,
    "postalCode" TEXT,
    "country" CHAR(2),
    "linkedinUrl" TEXT,
    "notes" TEXT,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "lastContactedAt" TIMESTAMPTZ(3),
    "mergedIntoId" UUID,
    "searchText" TEXT NOT NULL DEFAULT '',
    "createdById" UUID,
    "updatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "deletedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Contact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ContactCompany" (
    "organizationId" UUID NOT NULL,
    "contactId" UUID NOT NULL,
    "companyId" UUID NOT NULL,
    "role" TEXT,
    "isPrimary" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" UUID,

    CONSTRAINT "ContactCompany_pkey" PRIMARY KEY ("organizationId","contactId","companyId")
);

-- CreateIndex
CREATE INDEX "Company_organizationId_createdAt_id_idx" ON "Company"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Company_organizationId_updatedAt_id_idx" ON "Company"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Company_organizationId_name_id_idx" ON "Company"("organizationId", "name", "id");

-- CreateIndex
CREATE INDEX "Company_organizationId_ownerId_idx" ON "Company"("organizationId", "ownerId");

-- CreateIndex
CREATE INDEX "Company_organizationId_parentId_idx" ON "Company"("organizationId", "parentId");

-- CreateIndex
CREATE INDEX "Company_organizationId_phone_idx" ON "Company"("organizationId", "phone");

-- CreateIndex
CREATE INDEX "Company_organizationId_mergedIntoId_idx" ON "Company"("organizationId", "mergedIntoId");

-- CreateIndex
CREATE INDEX "Company_tags_idx" ON "Company" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Company_types_idx" ON "Company" USING GIN ("types");

-- CreateIndex
CREATE INDEX "Company_searchText_idx" ON "Company" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Company_organizationId_id_key" ON "Company"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Company_live_domain_key" ON "Company"("organizationId", "domain") WHERE ("deletedAt" IS NULL);

-- CreateIndex
CREATE INDEX "Contact_organizationId_createdAt_id_idx" ON "Contact"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Contact_organizationId_updatedAt_id_idx" ON "Contact"("organizationId", "updatedAt", "id");

-- CreateIndex
CREATE INDEX "Contact_organizationId_lastName_id_idx" ON "Contact"("organizationId", "lastName", "id");

-- CreateIndex
CREATE INDEX "Contact_organizationId_firstName_id_idx" ON "Contact"("organizationId", "firstName", "id");

-- CreateIndex
CREATE INDEX "Contact_organizationId_status_idx" ON "Contact"("organizationId", "status");

-- CreateIndex
CREATE INDEX "Contact_organizationId_ownerId_idx" ON "Contact"("organizationId", "ownerId");

-- CreateIndex
CREATE INDEX "Contact_organizationId_primaryCompanyId_idx" ON "Contact"("organizationId", "primaryCompanyId");

-- CreateIndex
CREATE INDEX "Contact_organizationId_phone_idx" ON "Contact"("organizationId", "phone");

-- CreateIndex
CREATE INDEX "Contact_organizationId_mergedIntoId_idx" ON "Contact"("organizationId", "mergedIntoId");

-- CreateIndex
CREATE INDEX "Contact_tags_idx" ON "Contact" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "Contact_searchText_idx" ON "Contact" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Contact_organizationId_id_key" ON "Contact"("organizationId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Contact_live_email_key" ON "Contact"("organizationId", "email") WHERE ("deletedAt" IS NULL);

-- CreateIndex
CREATE INDEX "ContactCompany_organizationId_companyId_contactId_idx" ON "ContactCompany"("organizationId", "companyId", "contactId");

-- Name similarity for duplicate detection (pg_trgm), hand-written: Prisma cannot express an
-- index on an expression. A query uses these only when it repeats the expression exactly, e.g.
-- lower("firstName" || ' ' || coalesce("lastName", '')) % lower($1). (concat_ws is not
-- immutable, so it cannot be indexed.) The schema comments on Contact and Company name them.
CREATE INDEX "Contact_name_trgm_idx" ON "Contact" USING GIN ((lower("firstName" || ' ' || coalesce("lastName", ''))) gin_trgm_ops);

CREATE INDEX "Company_name_trgm_idx" ON "Company" USING GIN ((lower("name")) gin_trgm_ops);

-- CreateIndex
CREATE UNIQUE INDEX "Lead_organizationId_id_key" ON "Lead"("organizationId", "id");

-- AddForeignKey
ALTER TABLE "Company" ADD CONSTRAINT "Company_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Company" ADD CONSTRAINT "Company_owner_fkey" FOREIGN KEY ("organizationId", "ownerId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Company" ADD CONSTRAINT "Company_parent_fkey" FOREIGN KEY ("organizationId", "parentId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Company" ADD CONSTRAINT "Company_mergedInto_fkey" FOREIGN KEY ("organizationId", "mergedIntoId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_owner_fkey" FOREIGN KEY ("organizationId", "ownerId") REFERENCES "Membership"("organizationId", "userId") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_primaryCompany_fkey" FOREIGN KEY ("organizationId", "primaryCompanyId") REFERENCES "Company"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "Contact" ADD CONSTRAINT "Contact_mergedInto_fkey" FOREIGN KEY ("organizationId", "mergedIntoId") REFERENCES "Contact"("organizationId", "id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "ContactCompany" ADD CONSTRAINT "ContactCompany_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ContactCompany" ADD CONSTRAINT "ContactCompany_contact_fkey" FOREIGN KEY ("organizationId", "contactId") REFERENCES "Contact"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "ContactCompany" ADD CONSTRAINT "ContactCompany_company_fkey" FOREIGN KEY ("organizationId", "companyId") REFERENCES "Company"("organizationId", "id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- CreateIndex
CREATE INDEX "Contact_additionalEmails_idx" ON "Contact" USING GIN ("additionalEmails");

-- CreateIndex
CREATE INDEX "Contact_additionalPhones_idx" ON "Contact" USING GIN ("additionalPhones");

