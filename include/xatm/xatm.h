/// @file
/// The whole public surface of xatm in one include: the coordinator, the
/// resources, the decision stores, idempotency keys, sagas, metrics and
/// recovery. Applications include this or the single headers beside it;
/// nothing outside include/xatm is installed.
#pragma once

/// @namespace xatm
/// The xatm library: an XA-style transaction manager over PostgreSQL and
/// MySQL/MariaDB branches, its decision stores, recovery, idempotency keys
/// and sagas. Errors are Status and Result values; no exception crosses
/// the API.

#include "xatm/background_sweeper.h"
#include "xatm/clock.h"
#include "xatm/config.h"
#include "xatm/database_decision_log.h"
#include "xatm/decision_log.h"
#include "xatm/file_system.h"
#include "xatm/idempotency_key.h"
#include "xatm/in_doubt.h"
#include "xatm/key_table.h"
#include "xatm/keyed_transaction.h"
#include "xatm/logging.h"
#include "xatm/memory_decision_log.h"
#include "xatm/metrics.h"
#include "xatm/open_from_config.h"
#include "xatm/own_branches.h"
#include "xatm/resolver.h"
#include "xatm/resource.h"
#include "xatm/resource_config.h"
#include "xatm/resource_factory.h"
#include "xatm/run_keyed.h"
#include "xatm/saga.h"
#include "xatm/saga_barrier.h"
#include "xatm/saga_journal.h"
#include "xatm/saga_record.h"
#include "xatm/status.h"
#include "xatm/sweep_result.h"
#include "xatm/sweeper.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"
#include "xatm/worker_pool.h"
#include "xatm/xid.h"
