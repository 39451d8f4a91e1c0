-- Idempotency keys on MySQL / MariaDB (tm/keys/): one row per key, inserted
-- inside every branch of the transaction that claims the key, so it
-- commits or rolls back with that branch's work. The primary key (the
-- clustered index: no secondary unique index and its gap locks) is what
-- makes a second use of a key fail or wait, never a read before a write.
-- Created by `xatm init` in every resource. Idempotent.
--   gtrid       the global transaction that claimed the key
--   fingerprint what the request was (for a transfer: from, to, amount)
--   created_at  when, UTC (never the session's zone); keys older than the
--               retention are pruned, by its index
CREATE TABLE IF NOT EXISTS xatm_idempotency_keys (
  idem_key    VARCHAR(64)   NOT NULL PRIMARY KEY,
  gtrid       VARCHAR(64)   NOT NULL,
  fingerprint VARCHAR(1000) NOT NULL,
  created_at  DATETIME(3)   NOT NULL DEFAULT UTC_TIMESTAMP(3)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- A table made by an older `xatm init` has a TIMESTAMP column: its values
-- become UTC DATETIMEs (a no-op on a current table).
SET STATEMENT time_zone = '+00:00' FOR
ALTER TABLE xatm_idempotency_keys
  MODIFY created_at DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3);
CREATE INDEX IF NOT EXISTS xatm_idempotency_keys_created_at
  ON xatm_idempotency_keys (created_at);
