-- Idempotency keys on PostgreSQL (tm/keys/): one row per key, inserted
-- inside every branch of the transaction that claims the key, so it
-- commits or rolls back with that branch's work. The primary key is what
-- makes a second use of a key fail or wait, never a read before a write.
-- Created by `xatm init` in every resource. Idempotent.
--   gtrid       the global transaction that claimed the key
--   fingerprint what the request was (for a transfer: from, to, amount)
--   created_at  when; keys older than the retention are pruned, by its
--               index
CREATE TABLE IF NOT EXISTS xatm_idempotency_keys (
  idem_key    VARCHAR(64)   PRIMARY KEY,
  gtrid       VARCHAR(64)   NOT NULL,
  fingerprint VARCHAR(1000) NOT NULL,
  created_at  TIMESTAMPTZ   NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS xatm_idempotency_keys_created_at
  ON xatm_idempotency_keys (created_at);
