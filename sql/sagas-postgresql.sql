-- The saga journal of `decision_store = RESOURCE` on PostgreSQL: one row
-- per saga, its latest record (tm/saga/database_saga_journal.cc), shared by
-- every node. Created by `xatm init` in the decision resource only.
-- Idempotent.
--   node       the node driving the saga now: every save is conditional on
--              it (the fence), a takeover changes it from the old node only
--   phase      the record's phase: 'forward', 'compensating', 'committed',
--              'compensated', 'failed-to-compensate'
--   record     the whole record, JSON (EncodeSagaRecord)
--   begun_at   first saved, by the database's clock
--   updated_at last saved; final rows older than the retention are pruned
-- The indexes serve the read of unfinished sagas and pruning by age, so
-- neither scans the table.
CREATE TABLE IF NOT EXISTS xatm_sagas (
  saga_id    VARCHAR(64) NOT NULL PRIMARY KEY,
  node       VARCHAR(16) NOT NULL,
  phase      VARCHAR(24) NOT NULL,
  record     TEXT        NOT NULL,
  begun_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS xatm_sagas_open
  ON xatm_sagas (begun_at) WHERE phase NOT IN ('committed', 'compensated');
CREATE INDEX IF NOT EXISTS xatm_sagas_phase_updated_at
  ON xatm_sagas (phase, updated_at);
