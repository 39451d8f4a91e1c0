-- Idempotency keys on MySQL / MariaDB (tm/keys/): one row per key, inserted
-- inside every branch of the transaction that claims the key, so it
-- commits or rolls back with that branch's work. The primary key (the
-- clustered index: no secondary unique index and its gap locks) is what
-- makes a second use of a key fail or wait, never a read before a write.
-- Created by `xatm init` in every resource. Idempotent.
--   gtrid       the global transaction that claimed the key
--   fingerprint what the request was (for a transfer: from, to, amount)
CREATE TABLE IF NOT EXISTS xatm_idempotency_keys (
  idem_key    VARCHAR(64)   NOT NULL PRIMARY KEY,
  gtrid       VARCHAR(64)   NOT NULL,
  fingerprint VARCHAR(1000) NOT NULL,
  created_at  TIMESTAMP     NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
