-- The saga journal of `decision_store = RESOURCE` on MySQL / MariaDB: one
-- row per saga, its latest record (tm/saga/database_saga_journal.cc),
-- shared by every node. Created by `xatm init` in the decision resource
-- only. Idempotent.
--   node       the node driving the saga now: every save is conditional on
--              it (the fence), a takeover changes it from the old node only
--   phase      the record's phase: 'forward', 'compensating', 'committed',
--              'compensated', 'failed-to-compensate'
--   record     the whole record, JSON (EncodeSagaRecord)
--   begun_at   first saved, UTC
--   updated_at last saved, UTC; final rows older than the retention are
--              pruned
-- Times are UTC in DATETIME columns, written and compared with
-- UTC_TIMESTAMP(3): never converted through the session's time zone. The
-- index serves the read of unfinished sagas and pruning by age, so neither
-- scans the table.
CREATE TABLE IF NOT EXISTS xatm_sagas (
  saga_id    VARCHAR(64) NOT NULL PRIMARY KEY,
  node       VARCHAR(16) NOT NULL,
  phase      VARCHAR(24) NOT NULL,
  record     MEDIUMTEXT  NOT NULL,
  begun_at   DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
CREATE INDEX IF NOT EXISTS xatm_sagas_phase_updated_at
  ON xatm_sagas (phase, updated_at);
