// The same database error gets the same Status code from both adapters, and
// that code's retry rule fits what the error means: each case runs real
// statements against PostgreSQL and MariaDB.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/test_env.h"
#include "xatm/resource_factory.h"

namespace xatm {
namespace {

struct ErrorCase {
  const char* meaning;
  // Statements of one local transaction; the last one fails. {T} is the
  // test table, {P} its parent table.
  std::vector<std::string> postgresql;
  std::vector<std::string> mysql;
  StatusCode code;
  RetryRule rule;
  // Another transaction holds a row lock on {T} id 1 meanwhile.
  bool row_locked = false;
};

const std::vector<ErrorCase>& Cases() {
  static const std::vector<ErrorCase> cases = {
      {"duplicate key",
       {"INSERT INTO {T} (id, v) VALUES (1, 1)"},
       {"INSERT INTO {T} (id, v) VALUES (1, 1)"},
       StatusCode::kAlreadyExists,
       RetryRule::kFixRequest},
      {"duplicate table",
       {"CREATE TABLE {T} (id INT)"},
       {"CREATE TABLE {T} (id INT)"},
       StatusCode::kAlreadyExists,
       RetryRule::kFixRequest},
      {"foreign key violation",
       {"INSERT INTO {T} (id, parent, v) VALUES (2, 999, 1)"},
       {"INSERT INTO {T} (id, parent, v) VALUES (2, 999, 1)"},
       StatusCode::kFailedPrecondition,
       RetryRule::kFixStateFirst},
      {"NOT NULL violation",
       {"INSERT INTO {T} (id, v) VALUES (3, NULL)"},
       {"INSERT INTO {T} (id, v) VALUES (3, NULL)"},
       StatusCode::kFailedPrecondition,
       RetryRule::kFixStateFirst},
      {"CHECK violation",
       {"INSERT INTO {T} (id, v) VALUES (4, -1)"},
       {"INSERT INTO {T} (id, v) VALUES (4, -1)"},
       StatusCode::kFailedPrecondition,
       RetryRule::kFixStateFirst},
      {"undefined table",
       {"SELECT * FROM {T}_missing"},
       {"SELECT * FROM {T}_missing"},
       StatusCode::kInvalidArgument,
       RetryRule::kFixRequest},
      {"undefined column",
       {"SELECT no_such_column FROM {T}"},
       {"SELECT no_such_column FROM {T}"},
       StatusCode::kInvalidArgument,
       RetryRule::kFixRequest},
      {"syntax error",
       {"SELEC 1"},
       {"SELEC 1"},
       StatusCode::kInvalidArgument,
       RetryRule::kFixRequest},
      {"value out of range",
       {"INSERT INTO {T} (id, v) VALUES (99999999999, 1)"},
       {"INSERT INTO {T} (id, v) VALUES (99999999999, 1)"},
       StatusCode::kInvalidArgument,
       RetryRule::kFixRequest},
      {"statement timeout",
       {"SET LOCAL statement_timeout = 50", "SELECT pg_sleep(5)"},
       {"SET STATEMENT max_statement_time = 0.05 FOR SELECT SLEEP(5)"},
       StatusCode::kAborted,
       RetryRule::kRetryTransaction},
      {"lock wait timeout",
       {"UPDATE {T} SET v = 2 WHERE id = 1"},
       {"UPDATE {T} SET v = 2 WHERE id = 1"},
       StatusCode::kAborted,
       RetryRule::kRetryTransaction,
       /*row_locked=*/true},
  };
  return cases;
}

std::string WithTables(std::string sql, const std::string& table) {
  for (const auto& [mark, name] :
       {std::pair<std::string, std::string>{"{T}", table},
        std::pair<std::string, std::string>{"{P}", table + "_parent"}}) {
    for (size_t at = sql.find(mark); at != std::string::npos;
         at = sql.find(mark)) {
      sql.replace(at, mark.size(), name);
    }
  }
  return sql;
}

class ErrorMappingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = "xatm_errmap_" + testing::RandomHex(8);
    ResourceConfig pg = testing::PostgresTestConfig("pg");
    ResourceConfig my = testing::MysqlTestConfig("my");
    // Short lock waits keep the lock case fast (MariaDB waits whole
    // seconds: 1 s).
    pg.lock_timeout_ms = 100;
    my.lock_timeout_ms = 100;
    pg_ = Make(pg);
    my_ = Make(my);
    ASSERT_TRUE(pg_ && my_);
    const std::string parent = "CREATE TABLE {P} (id INT PRIMARY KEY)";
    const std::string child =
        "CREATE TABLE {T} (id INT PRIMARY KEY, parent INT REFERENCES {P}(id), "
        "v INT NOT NULL CHECK (v >= 0))";
    for (Resource* r : {pg_.get(), my_.get()}) {
      const std::string engine = r == my_.get() ? " ENGINE=InnoDB" : "";
      for (const std::string& sql :
           {parent + engine, child + engine,
            std::string("INSERT INTO {T} (id, v) VALUES (1, 1)")}) {
        Status s = r->ExecuteLocal(WithTables(sql, table_), {});
        ASSERT_TRUE(s.ok()) << r->name() << ": " << s.ToString();
      }
    }
  }

  void TearDown() override {
    for (Resource* r : {pg_.get(), my_.get()}) {
      if (r == nullptr) continue;
      (void)r->ExecuteLocal(WithTables("DROP TABLE IF EXISTS {T}", table_), {});
      (void)r->ExecuteLocal(WithTables("DROP TABLE IF EXISTS {P}", table_), {});
    }
  }

  static std::shared_ptr<Resource> Make(const ResourceConfig& config) {
    Result<std::shared_ptr<Resource>> r = MakeResource(config);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }

  // The first error of the statements in one local transaction.
  Status Run(Resource& r, const ErrorCase& c) {
    std::unique_ptr<Branch> holder;
    if (c.row_locked) {
      Result<std::unique_ptr<Branch>> h = r.BeginLocal();
      if (!h.ok()) return h.status().WithContext("holder");
      holder = std::move(h).value();
      Result<int64_t> locked = holder->Execute(
          WithTables("UPDATE {T} SET v = v WHERE id = 1", table_), {});
      if (!locked.ok()) return locked.status().WithContext("holder");
    }
    Result<std::unique_ptr<Branch>> branch = r.BeginLocal();
    if (!branch.ok()) return branch.status();
    const auto& statements = r.type() == "postgresql" ? c.postgresql : c.mysql;
    Status first = Status::Ok();
    for (const std::string& sql : statements) {
      // A statement returning rows must go through Query (MariaDB's
      // adapter refuses it in Execute).
      const bool rows = sql.find("SELECT") != std::string::npos;
      const std::string text = WithTables(sql, table_);
      Status s = rows ? (*branch)->Query(text, {}).status()
                      : (*branch)->Execute(text, {}).status();
      if (!s.ok()) {
        first = s;
        break;
      }
    }
    (void)(*branch)->Rollback();
    if (holder) (void)holder->Rollback();
    return first;
  }

  std::string table_;
  std::shared_ptr<Resource> pg_;
  std::shared_ptr<Resource> my_;
};

TEST_F(ErrorMappingTest, EachErrorGetsTheSameCodeFromBothAdapters) {
  for (const ErrorCase& c : Cases()) {
    SCOPED_TRACE(c.meaning);
    const Status pg = Run(*pg_, c);
    const Status my = Run(*my_, c);
    ASSERT_FALSE(pg.ok()) << "postgresql accepted it";
    ASSERT_FALSE(my.ok()) << "mariadb accepted it";
    EXPECT_STREQ(StatusCodeName(pg.code()), StatusCodeName(my.code()))
        << "postgresql: " << pg.ToString() << "\nmariadb: " << my.ToString();
    EXPECT_STREQ(StatusCodeName(pg.code()), StatusCodeName(c.code))
        << pg.ToString();
    EXPECT_STREQ(StatusCodeName(my.code()), StatusCodeName(c.code))
        << my.ToString();
    EXPECT_STREQ(RetryRuleName(RetryRuleFor(pg.code())), RetryRuleName(c.rule));
  }
}

TEST_F(ErrorMappingTest, ADuplicateKeyIsNeverRetryTheTransaction) {
  // Running the same transaction again meets the same key: an application
  // following the rule of the code must not loop.
  const ErrorCase& duplicate = Cases().front();
  for (Resource* r : {pg_.get(), my_.get()}) {
    const Status s = Run(*r, duplicate);
    ASSERT_FALSE(s.ok()) << r->name();
    EXPECT_STRNE(RetryRuleName(RetryRuleFor(s.code())),
                 RetryRuleName(RetryRule::kRetryTransaction))
        << r->name() << ": " << s.ToString();
    EXPECT_STRNE(RetryRuleName(RetryRuleFor(s.code())),
                 RetryRuleName(RetryRule::kRetryCall))
        << r->name() << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace xatm
