-- Import jobs name their resource by its router key (`leads`), as the routes and permissions do.
UPDATE "ImportJob" SET "resource" = 'leads' WHERE "resource" = 'lead';
