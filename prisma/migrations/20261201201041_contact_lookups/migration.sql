-- CreateIndex
CREATE INDEX "Contact_additionalEmails_idx" ON "Contact" USING GIN ("additionalEmails");

-- CreateIndex
CREATE INDEX "Contact_additionalPhones_idx" ON "Contact" USING GIN ("additionalPhones");

-- A contact's primary company is always one of its links, flagged isPrimary, whatever wrote the
-- contact (create, bulk create, import, update, merge): "Contact"."primaryCompanyId" is the truth
-- and the link follows it here. So "contacts of a company" is one indexed lookup of
-- "ContactCompany" (an OR with primaryCompanyId read the organization's contacts in full).
CREATE FUNCTION "contact_primary_company_link"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "ContactCompany" SET "isPrimary" = false
   WHERE "organizationId" = NEW."organizationId" AND "contactId" = NEW."id" AND "isPrimary"
     AND "companyId" IS DISTINCT FROM NEW."primaryCompanyId";
  IF NEW."primaryCompanyId" IS NOT NULL THEN
    INSERT INTO "ContactCompany" ("organizationId", "contactId", "companyId", "isPrimary", "createdById")
    VALUES (NEW."organizationId", NEW."id", NEW."primaryCompanyId", true, NEW."updatedById")
    ON CONFLICT ("organizationId", "contactId", "companyId") DO UPDATE SET "isPrimary" = true;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Contact_primary_company_link_insert" AFTER INSERT ON "Contact"
  FOR EACH ROW WHEN (NEW."primaryCompanyId" IS NOT NULL) EXECUTE FUNCTION "contact_primary_company_link"();

CREATE TRIGGER "Contact_primary_company_link_update" AFTER UPDATE OF "primaryCompanyId" ON "Contact"
  FOR EACH ROW WHEN (OLD."primaryCompanyId" IS DISTINCT FROM NEW."primaryCompanyId")
  EXECUTE FUNCTION "contact_primary_company_link"();

-- Contacts written before this migration.
INSERT INTO "ContactCompany" ("organizationId", "contactId", "companyId", "isPrimary", "createdById")
SELECT "organizationId", "id", "primaryCompanyId", true, "updatedById" FROM "Contact" WHERE "primaryCompanyId" IS NOT NULL
ON CONFLICT ("organizationId", "contactId", "companyId") DO UPDATE SET "isPrimary" = true;
