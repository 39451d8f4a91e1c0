-- The decision table of `decision_store = RESOURCE` on MySQL / MariaDB: one
-- row per global transaction whose fate was settled here (tm/store/).
-- Created by `xatm init` in the decision resource only. Idempotent.
--   outcome   'commit': inserted by the coordinator and committed in one
--             transaction with its last branch (the commit point);
--             'abort': inserted by recovery if absent (the fence).
--   resources the branches' resource names, comma separated
--   ended_at  recovery finished every branch; kept as evidence until pruned
--   detail    a heuristic outcome, if one was found
-- Times are UTC in DATETIME columns, written and compared with
-- UTC_TIMESTAMP(3): never converted through the session's time zone, so a
-- daylight saving change moves no age. The indexes serve recovery's read
-- of open decisions and pruning by age, so neither scans the table.
CREATE TABLE IF NOT EXISTS xatm_decisions (
  gtrid      VARCHAR(64)   NOT NULL PRIMARY KEY,
  outcome    VARCHAR(8)    NOT NULL,
  resources  VARCHAR(1100) NOT NULL,
  node       VARCHAR(16)   NOT NULL,
  decided_at DATETIME(3)   NOT NULL DEFAULT UTC_TIMESTAMP(3),
  ended_at   DATETIME(3)   NULL DEFAULT NULL,
  detail     VARCHAR(1000) NULL,
  CONSTRAINT xatm_decisions_outcome_known
    CHECK (outcome IN ('commit', 'abort'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- A table made by an older `xatm init` has TIMESTAMP columns: their values
-- become UTC DATETIMEs (a no-op on a current table).
SET STATEMENT time_zone = '+00:00' FOR
ALTER TABLE xatm_decisions
  MODIFY decided_at DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  MODIFY ended_at   DATETIME(3) NULL DEFAULT NULL;
CREATE INDEX IF NOT EXISTS xatm_decisions_open
  ON xatm_decisions (outcome, ended_at, decided_at);
CREATE INDEX IF NOT EXISTS xatm_decisions_decided_at
  ON xatm_decisions (decided_at);
