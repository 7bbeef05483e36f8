-- CreateEnum
CREATE TYPE "ImportFormat" AS ENUM ('csv', 'xlsx');

-- CreateEnum
CREATE TYPE "ImportMode" AS ENUM ('dry_run', 'valid_only', 'all_or_nothing');

-- CreateEnum
CREATE TYPE "ImportDuplicatePolicy" AS ENUM ('skip', 'update', 'error');

-- CreateEnum
CREATE TYPE "ImportStatus" AS ENUM ('queued', 'running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "ImportJob" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "resource" TEXT NOT NULL,
    "createdByUserId" UUID,
    "createdByApiKeyId" UUID,
    "requestId" TEXT,
    "fileName" TEXT NOT NULL,
    "format" "ImportFormat" NOT NULL,
    "fileSize" INTEGER NOT NULL,
    "storedFile" TEXT NOT NULL,
    "mode" "ImportMode" NOT NULL,
    "duplicatePolicy" "ImportDuplicatePolicy" NOT NULL,
    "mapping" JSONB,
    "parseOptions" JSONB NOT NULL DEFAULT '{}',
    "status" "ImportStatus" NOT NULL DEFAULT 'queued',
    "rowsTotal" INTEGER,
    "rowsProcessed" INTEGER NOT NULL DEFAULT 0,
    "rowsCreated" INTEGER NOT NULL DEFAULT 0,
    "rowsUpdated" INTEGER NOT NULL DEFAULT 0,
    "rowsSkipped" INTEGER NOT NULL DEFAULT 0,
    "rowsFailed" INTEGER NOT NULL DEFAULT 0,
    "lastRowNumber" INTEGER NOT NULL DEFAULT 1,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "heartbeatAt" TIMESTAMPTZ(3),
    "errorMessage" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ImportJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportRowError" (
    "id" UUID NOT NULL,
    "jobId" UUID NOT NULL,
    "rowNumber" INTEGER NOT NULL,
    "field" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "value" TEXT,

    CONSTRAINT "ImportRowError_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ImportJob_organizationId_createdAt_id_idx" ON "ImportJob"("organizationId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "ImportJob_status_createdAt_idx" ON "ImportJob"("status", "createdAt");

-- CreateIndex
CREATE INDEX "ImportRowError_jobId_rowNumber_id_idx" ON "ImportRowError"("jobId", "rowNumber", "id");

-- AddForeignKey
ALTER TABLE "ImportJob" ADD CONSTRAINT "ImportJob_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportRowError" ADD CONSTRAINT "ImportRowError_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "ImportJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;
