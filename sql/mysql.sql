-- xatm transfer schema for MySQL / MariaDB. Idempotent.
-- Amounts are DECIMAL(20,2): exact decimals, never floating point.
-- Binary collation: account ids compare byte for byte, as in PostgreSQL
-- ("Bob" and "bob" are two accounts).
CREATE TABLE IF NOT EXISTS xatm_accounts (
  id      VARCHAR(64)    NOT NULL PRIMARY KEY,
  balance DECIMAL(20, 2) NOT NULL,
  CONSTRAINT xatm_accounts_balance_nonnegative CHECK (balance >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per account leg of each transfer, written inside the branch: its
-- presence proves afterwards that the branch committed.
CREATE TABLE IF NOT EXISTS xatm_ledger (
  gtrid      VARCHAR(64)    NOT NULL,
  branch     VARCHAR(32)    NOT NULL,
  account    VARCHAR(64)    NOT NULL,
  delta      DECIMAL(20, 2) NOT NULL,
  created_at TIMESTAMP      NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (gtrid, account)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
