-- The decision table of `decision_store = RESOURCE` on PostgreSQL: one row
-- per global transaction whose fate was settled here (tm/store/). Created
-- by `xatm init` in the decision resource only. Idempotent.
--   outcome   'commit': inserted by the coordinator and committed in one
--             local transaction with its last branch (the commit point);
--             'abort': inserted by recovery if absent (the fence).
--   resources the branches' resource names, comma separated
--   ended_at  recovery finished every branch; kept as evidence until pruned
--   detail    a heuristic outcome, if one was found
-- The indexes serve recovery's read of open decisions and pruning by age,
-- so neither scans the table.
CREATE TABLE IF NOT EXISTS xatm_decisions (
  gtrid      VARCHAR(64)   NOT NULL PRIMARY KEY,
  outcome    VARCHAR(8)    NOT NULL,
  resources  VARCHAR(1100) NOT NULL,
  node       VARCHAR(16)   NOT NULL,
  decided_at TIMESTAMPTZ   NOT NULL DEFAULT clock_timestamp(),
  ended_at   TIMESTAMPTZ   NULL,
  detail     VARCHAR(1000) NULL,
  CONSTRAINT xatm_decisions_outcome_known
    CHECK (outcome IN ('commit', 'abort'))
);
CREATE INDEX IF NOT EXISTS xatm_decisions_open
  ON xatm_decisions (decided_at) WHERE outcome = 'commit' AND ended_at IS NULL;
CREATE INDEX IF NOT EXISTS xatm_decisions_decided_at
  ON xatm_decisions (decided_at);
