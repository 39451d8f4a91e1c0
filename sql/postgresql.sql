-- xatm transfer schema for PostgreSQL. Idempotent.
-- Amounts are NUMERIC(20,2): exact decimals, never floating point.
CREATE TABLE IF NOT EXISTS xatm_accounts (
  id      VARCHAR(64)    PRIMARY KEY,
  balance NUMERIC(20, 2) NOT NULL CHECK (balance >= 0)
);

-- One row per account leg of each transfer, written inside the branch: its
-- presence proves afterwards that the branch committed.
CREATE TABLE IF NOT EXISTS xatm_ledger (
  gtrid      VARCHAR(64)    NOT NULL,
  branch     VARCHAR(32)    NOT NULL,
  account    VARCHAR(64)    NOT NULL,
  delta      NUMERIC(20, 2) NOT NULL,
  created_at TIMESTAMPTZ    NOT NULL DEFAULT now(),
  PRIMARY KEY (gtrid, account)
);
