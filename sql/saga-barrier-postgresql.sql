-- Saga barriers on PostgreSQL (tm/saga/saga_barrier.cc): one row per
-- (saga, step, operation), inserted in the same local transaction as the
-- step's own statements, so that it commits or rolls back with them. The
-- primary key decides what runs: an action at most once, never after its
-- compensation (which inserts the action's row first when the action never
-- ran). An insert of another transaction still in progress is waited for.
-- Created by `xatm init` in every resource. Idempotent.
--   saga_id    the saga (its gtrid-format id)
--   step       the step's name in its saga
--   op         'action' or 'compensation'
--   created_at when; rows older than the retention (and of no unfinished
--              saga) are pruned, by its index
CREATE TABLE IF NOT EXISTS xatm_saga_barrier (
  saga_id    VARCHAR(64) NOT NULL,
  step       VARCHAR(32) NOT NULL,
  op         VARCHAR(16) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (saga_id, step, op)
);
CREATE INDEX IF NOT EXISTS xatm_saga_barrier_created_at
  ON xatm_saga_barrier (created_at);
