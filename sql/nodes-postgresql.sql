-- The nodes of `decision_store = RESOURCE` on PostgreSQL: one row per node
-- id that runs for long (xatm serve, an application's background sweeper),
-- kept fresh by its heartbeat (tm/store/node_registry.cc). A node silent
-- for `takeover_after` is presumed dead and its branches are resolved by
-- the others. Created by `xatm init` next to xatm_decisions. Idempotent.
--   instance   which process holds the node id now: a token of boot,
--              pid namespace, pid and start time that proves a crashed
--              holder dead to a restart in the same namespace
--              (recovery/process_identity.h), or random
--   host, pid  where that process runs, for people
--   last_seen  its last heartbeat, by the database's clock
CREATE TABLE IF NOT EXISTS xatm_nodes (
  node       VARCHAR(16)  NOT NULL PRIMARY KEY,
  instance   VARCHAR(32)  NOT NULL,
  host       VARCHAR(255) NOT NULL,
  pid        BIGINT       NOT NULL,
  started_at TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
  last_seen  TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp()
);
