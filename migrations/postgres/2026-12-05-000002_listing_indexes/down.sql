DROP INDEX releases_by_org_updated;
DROP INDEX releases_by_status_updated;
