-- The newsroom's release list is most recently changed first. Narrowed to one status (e.g.
-- "published") or one organization, it walks one of these indexes and stops after a page,
-- instead of sorting every release in that status or of that organization.
CREATE INDEX releases_by_status_updated ON releases (status, updated_at DESC, id DESC);
CREATE INDEX releases_by_org_updated ON releases (organization_id, updated_at DESC, id DESC);
