-- CreateIndex
CREATE INDEX "Contact_additionalEmails_idx" ON "Contact" USING GIN ("additionalEmails");

-- CreateIndex
CREATE INDEX "Contact_additionalPhones_idx" ON "Contact" USING GIN ("additionalPhones");

