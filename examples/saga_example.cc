// A saga in an application, whole: docs/sagas.md ("An example program")
// shows its core, and CI builds it and runs it against the test servers
// (saga_example_test).
//
//   saga_example LOG_DIR
//
// The two resources come from the environment, as in every example
// (test_databases.h). LOG_DIR holds the decision log, where the sagas'
// records live.
//
// An order is a saga of two steps: "pay" debits a wallet in PostgreSQL
// (undone by a credit back), then "ship" calls an in-process shipping
// service (undone by cancelling the shipment). Three orders: one ships,
// one cannot be shipped (the payment is refunded), one cannot be paid
// (nothing happens). Exit 0 when each ended as it should, 1 otherwise.
#include <xatm/xatm.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "test_databases.h"

namespace {

// The shipping service, in process: shipments by idempotency key. A real
// one is a remote call that takes the key along; the rules are the same.
class Shipping {
 public:
  // The action: ships once per key, however often it is called.
  xatm::ServiceAnswer Ship(const xatm::ServiceCall& call) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_.count(call.idempotency_key) != 0) {
      return xatm::ServiceAnswer::kFailed;  // cancelled before it came
    }
    if (shipments_.count(call.idempotency_key) != 0) {
      return xatm::ServiceAnswer::kDone;  // a retry: shipped already
    }
    if (call.payload == "nowhere") return xatm::ServiceAnswer::kFailed;
    shipments_[call.idempotency_key] = call.payload;
    return xatm::ServiceAnswer::kDone;
  }

  // The compensation: cancels the action's shipment, and accepts an
  // action it never saw (then nothing ships for that key any more).
  xatm::ServiceAnswer Cancel(const xatm::ServiceCall& call) {
    const std::string action_key = call.saga_id + "/" + call.step + "/action";
    std::lock_guard<std::mutex> lock(mu_);
    shipments_.erase(action_key);
    cancelled_[action_key] = true;
    return xatm::ServiceAnswer::kDone;
  }

  size_t shipped() {
    std::lock_guard<std::mutex> lock(mu_);
    return shipments_.size();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> shipments_;  // key -> destination
  std::map<std::string, bool> cancelled_;
};

// Pay `amount` from `wallet` in PostgreSQL, then ship to `destination`.
xatm::SagaDefinition Order(const std::string& wallet, const std::string& amount,
                           const std::string& destination) {
  xatm::SagaStep pay;
  pay.name = "pay";
  pay.resource = "pg";
  // expected_rows 1: no row (too little money) is the step's "no".
  pay.action = {
      {"UPDATE saga_example_wallets SET balance = balance - "
       "CAST(? AS DECIMAL(20,2)) WHERE id = ? AND balance >= "
       "CAST(? AS DECIMAL(20,2))",
       {amount, wallet, amount},
       1}};
  pay.compensation = {
      {"UPDATE saga_example_wallets SET balance = balance + "
       "CAST(? AS DECIMAL(20,2)) WHERE id = ?",
       {amount, wallet},
       1}};
  xatm::SagaStep ship;
  ship.name = "ship";
  ship.service = "shipping";
  ship.payload = destination;
  ship.retry.attempts = 3;
  ship.retry.call_timeout_ms = 2000;

  xatm::SagaDefinition order;
  order.name = "order";
  order.stages = {{pay}, {ship}};  // one after the other
  order.deadline_ms = 30000;
  return order;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: saga_example LOG_DIR\n");
    return 2;
  }
  auto pg = xatm::MakeResource(example::PostgresConfig());
  auto my = xatm::MakeResource(example::MariadbConfig());
  if (!pg.ok() || !my.ok()) {
    std::fprintf(stderr, "%s\n",
                 (pg.ok() ? my.status() : pg.status()).ToString().c_str());
    return 1;
  }

  // The barrier table in every resource a step may run on (`xatm init`
  // creates it too), and this example's own table.
  for (auto* r : {pg->get(), my->get()}) {
    xatm::Status s = xatm::CreateSagaBarrierTable(*r);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  const std::string wallet =
      "w" + std::to_string(
                std::chrono::system_clock::now().time_since_epoch().count());
  xatm::Status s = (*pg)->ExecuteLocal(
      "CREATE TABLE IF NOT EXISTS saga_example_wallets ("
      "id VARCHAR(64) PRIMARY KEY, balance NUMERIC(20,2) NOT NULL "
      "CHECK (balance >= 0))",
      {});
  if (s.ok()) {
    s = (*pg)->ExecuteLocal(
        "INSERT INTO saga_example_wallets (id, balance) VALUES (?, 100)",
        {wallet});
  }
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }

  xatm::TransactionManagerOptions options;
  options.node_id = "saga-example";
  options.log_dir = argv[1];
  options.log_options.create_if_missing = true;
  auto opened = xatm::TransactionManager::Open(options, {*pg, *my});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto tm = std::move(opened).value();

  // The sagas keep their records in the manager's decision store.
  auto created = xatm::SagaManager::Create(*tm);
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  auto sagas = std::move(created).value();
  Shipping shipping;
  sagas->RegisterService(
      "shipping",
      [&shipping](const xatm::ServiceCall& c) { return shipping.Ship(c); },
      [&shipping](const xatm::ServiceCall& c) { return shipping.Cancel(c); });

  // Recovery drives on the sagas an earlier run left unfinished, now and
  // every 5 s, and prunes finished ones after a week.
  xatm::SweeperOptions sweep;
  sweep.sagas = sagas.get();
  sweep.saga_retention_s = 7 * 24 * 3600;
  xatm::BackgroundSweeper sweeper(tm.get(), sweep, 5000);
  if (auto started = sweeper.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    return 1;
  }

  struct Case {
    const char* amount;
    const char* destination;
    xatm::SagaPhase expected;
  };
  const Case cases[] = {
      {"30.00", "Lisbon", xatm::SagaPhase::kCommitted},
      {"30.00", "nowhere", xatm::SagaPhase::kCompensated},  // refunded
      {"500.00", "Oslo", xatm::SagaPhase::kCompensated},    // cannot pay
  };
  bool right = true;
  for (const Case& c : cases) {
    xatm::Result<xatm::SagaOutcome> outcome =
        sagas->Run(Order(wallet, c.amount, c.destination));
    if (!outcome.ok()) {  // a bad definition, or the store refused it
      std::fprintf(stderr, "%s\n", outcome.status().ToString().c_str());
      return 1;
    }
    // OK | ABORTED (compensated) | IN_DOUBT (recovery or an operator)
    std::printf("order %s to %s: %s %s\n", c.amount, c.destination,
                xatm::SagaPhaseName(outcome->phase),
                outcome->status().ToString().c_str());
    right = right && outcome->phase == c.expected;
  }

  // One order paid and shipped: 70.00 left, one shipment.
  auto rows = (*pg)->QueryLocal(
      "SELECT balance FROM saga_example_wallets WHERE id = ?", {wallet});
  const std::string balance =
      rows.ok() && !rows->empty() ? rows->front()[0].value_or("") : "?";
  std::printf("balance %s, shipments %zu\n", balance.c_str(),
              shipping.shipped());
  right = right && balance == "70.00" && shipping.shipped() == 1;
  sweeper.Stop();
  (void)(*pg)->ExecuteLocal("DELETE FROM saga_example_wallets WHERE id = ?",
                            {wallet});
  std::printf("saga example %s\n", right ? "ok" : "WRONG");
  return right ? 0 : 1;
}
