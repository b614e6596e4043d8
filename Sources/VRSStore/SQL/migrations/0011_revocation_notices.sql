-- 0011 revocation notices: every change that ends a session or a device token says so on the
-- channel vrs_revocation, so that a server caching token checks drops the entry in every process.
--
-- Runs as vrs_owner (SET LOCAL ROLE by the runner), in one transaction, simple query protocol.
--
-- Payloads (no personal data; token hashes are of tokens that no longer work):
--   s:<hex token hash>   a session was revoked or removed
--   d:<hex token hash>   a device token was revoked or removed
--   u:<user id>          an account was locked, or its password (or must-change flag) changed
-- PostgreSQL delivers a notice when the transaction that raised it commits, and not at all when it
-- rolls back. Anyone may NOTIFY on any channel: a forged notice can only make a server check a
-- token again, never accept one.
CREATE FUNCTION vrs.notify_revocation() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, vrs, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'account' THEN
        IF TG_OP = 'DELETE' OR NEW.locked IS DISTINCT FROM OLD.locked
           OR NEW.password_hash IS DISTINCT FROM OLD.password_hash
           OR NEW.must_change_password IS DISTINCT FROM OLD.must_change_password THEN
            PERFORM pg_notify('vrs_revocation', 'u:' || OLD.user_id);
        END IF;
    ELSIF TG_OP = 'DELETE' OR (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL) THEN
        PERFORM pg_notify('vrs_revocation',
                          CASE TG_TABLE_NAME WHEN 'session' THEN 's:' ELSE 'd:' END || encode(OLD.token_hash, 'hex'));
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION vrs.notify_revocation() FROM PUBLIC;

CREATE TRIGGER notify_revocation AFTER UPDATE OR DELETE ON vrs.session
    FOR EACH ROW EXECUTE FUNCTION vrs.notify_revocation();
CREATE TRIGGER notify_revocation AFTER UPDATE OR DELETE ON vrs.device
    FOR EACH ROW EXECUTE FUNCTION vrs.notify_revocation();
CREATE TRIGGER notify_revocation AFTER UPDATE OR DELETE ON vrs.account
    FOR EACH ROW EXECUTE FUNCTION vrs.notify_revocation();
