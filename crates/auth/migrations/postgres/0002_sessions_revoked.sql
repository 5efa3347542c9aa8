-- Every process re-reads the recently revoked sessions periodically (lib.rs): index them.
CREATE INDEX sessions_revoked ON sessions (revoked_at);
